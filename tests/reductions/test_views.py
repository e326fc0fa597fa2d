from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger import services as ledger_services
from reductions.models import Attachment, Project, Status
from tests.factories import VALID_CREDIT_CODE, make_project

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    from reductions.models import Industry, PlanPeriod, ProjectType

    data = {
        "name": "锅炉低氮改造",
        "enterprise_name": "上海示例有限公司",
        "credit_code": VALID_CREDIT_CODE,
        "industry": Industry.objects.get(code="26").pk,
        "project_type": ProjectType.objects.get(code="W_STRUCTURE").pk,
        "measure": "改造",
        "plan_period": PlanPeriod.objects.get(code="14FYP").pk,
        "accounting_year": "2025",
        "completion_date": "2025-06-30",
        "amount_COD": "2.5",
    }
    data.update(overrides)
    return data


def test_clerk_enters_a_project_and_sees_its_tier(client_for, district_clerk):
    client = client_for(district_clerk)
    assert client.get(reverse("reductions:new")).status_code == 200
    response = client.post(reverse("reductions:new"), form_data())
    project = Project.objects.get()
    assert response.url == reverse("reductions:detail", args=[project.pk])
    assert (project.owner.code, project.tier, project.status) == ("310115", "PACKAGE", "DRAFT")
    page = client.get(response.url).content.decode()
    assert "小额打包" in page and "提交审核" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credit_code": "91310000132200821A"}, "校验位"),
        ({"amount_NOX": "1"}, "不属于"),
        ({"amount_COD": "-1"}, "大于或等于"),
        ({"amount_COD": "x"}, "输入一个数字"),
        ({"amount_COD": ""}, "至少填写一种污染物"),
    ],
)
def test_bad_project_input_shows_chinese_message_and_saves_nothing(
    client_for, district_clerk, overrides, message
):
    response = client_for(district_clerk).post(reverse("reductions:new"), form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Project.objects.exists()


def test_tier_preview_endpoint(client_for, district_clerk):
    from reductions.models import ProjectType

    client = client_for(district_clerk)
    url = reverse("reductions:tier")
    key = client.get(
        url, {"project_type": ProjectType.objects.get(code="W_STRUCTURE").pk, "amount_COD": "6"}
    ).json()
    assert key["tier"] == "KEY" and "COD 6.000 t" in key["reason"]
    micro = client.get(
        url, {"project_type": ProjectType.objects.get(code="W_STRUCTURE").pk, "amount_COD": "0.05"}
    ).json()
    assert micro["tier"] == "MICRO"
    assert client.get(url).json()["tier"] is None


def test_roles_that_may_not_enter_projects(
    client_for, municipal_approver, auditor, district_approver
):
    for user in (municipal_approver, auditor, district_approver):
        assert client_for(user).get(reverse("reductions:new")).status_code == 403


def test_list_is_scoped_counted_filtered_and_bounded(
    client_for, district_clerk, other_district_clerk, municipal_clerk, django_assert_max_num_queries
):
    for amount in ("2", "6", "0.05"):
        make_project(district_clerk, amounts={"COD": amount})
    make_project(other_district_clerk, amounts={"COD": "1"})
    client = client_for(district_clerk)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reductions:list"))
    assert len(response.context["page"].object_list) == 3
    counts = {value: n for _label, value, n, _query in response.context["counts"]}
    assert counts["SUBMITTED"] == 3
    assert (
        len(client.get(reverse("reductions:list"), {"tier": "KEY"}).context["page"].object_list)
        == 1
    )
    everyone = client_for(municipal_clerk).get(reverse("reductions:list"), {"owner": "310104"})
    assert len(everyone.context["page"].object_list) == 1


def test_other_district_cannot_open_a_project(client_for, district_clerk, other_district_clerk):
    project = make_project(district_clerk)
    assert (
        client_for(other_district_clerk)
        .get(reverse("reductions:detail", args=[project.pk]))
        .status_code
        == 403
    )


def test_review_through_the_page_and_maker_checker_message(
    client_for, district_clerk, district_approver, pudong
):
    project = make_project(district_clerk, amounts={"COD": "0.05"})
    response = client_for(district_clerk).post(
        reverse("reductions:act", args=[project.pk, "approve"]), {}, follow=True
    )
    assert "须由其他人员审核" in response.content.decode()
    client = client_for(district_approver)
    page = client.get(reverse("reductions:detail", args=[project.pk])).content.decode()
    assert "核定" in page
    response = client.post(
        reverse("reductions:act", args=[project.pk, "approve"]), {"amount_COD": "0.04"}, follow=True
    )
    project.refresh_from_db()
    assert project.status == Status.CERTIFIED
    assert ledger_services.entity_account(pudong, "COD").balance == Decimal("0.04")
    assert "已核定" in response.content.decode()


def test_return_needs_a_reason_on_the_page(client_for, district_clerk, district_approver):
    project = make_project(district_clerk)
    response = client_for(district_approver).post(
        reverse("reductions:act", args=[project.pk, "return"]), {"comment": ""}, follow=True
    )
    assert "退回的理由" in response.content.decode()
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED


def test_evidence_upload_checks_type_and_size(client_for, district_clerk, settings):
    project = make_project(district_clerk, submit=False)
    client = client_for(district_clerk)
    url = reverse("reductions:attachment", args=[project.pk])
    bad = client.post(url, {"file": SimpleUploadedFile("run.exe", b"MZ")}, follow=True)
    assert "只接受" in bad.content.decode()
    from reductions import services

    big = SimpleUploadedFile("big.pdf", b"0" * (services.MAX_ATTACHMENT_BYTES + 1))
    assert "10 MB" in client.post(url, {"file": big}, follow=True).content.decode()
    assert not Attachment.objects.exists()
    good = client.post(url, {"file": SimpleUploadedFile("监测报告.pdf", b"%PDF-1.4")}, follow=True)
    assert "已添加" in good.content.decode()
    assert Attachment.objects.get().original_name == "监测报告.pdf"


def test_queue_and_bulk_approve(client_for, district_clerk, district_approver):
    first = make_project(district_clerk, amounts={"COD": "2"})
    second = make_project(district_clerk, amounts={"COD": "3"})
    make_project(district_clerk, submit=False)
    client = client_for(district_approver)
    page = client.get(reverse("reductions:queue"))
    assert {p.pk for p in page.context["page"]} == {first.pk, second.pk}
    client.post(reverse("reductions:queue"), {"project": [first.pk, second.pk]})
    assert set(Project.objects.filter(status="DISTRICT_REVIEWED").values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert not client.get(reverse("reductions:queue")).context["page"].object_list


def test_enterprise_user_enters_own_projects(client_for, enterprise_user, enterprise):
    response = client_for(enterprise_user).post(reverse("reductions:new"), form_data())
    assert response.status_code == 302
    assert Project.objects.get().owner == enterprise


def test_api_lists_projects_scoped_filtered_and_bounded(
    client_for, district_clerk, other_district_clerk, municipal_clerk, django_assert_max_num_queries
):
    for amount in ("2", "6", "0.05"):
        make_project(district_clerk, amounts={"COD": amount})
    make_project(other_district_clerk, amounts={"COD": "1"})
    client = client_for(district_clerk)
    with django_assert_max_num_queries(10):
        data = client.get("/api/v1/projects/").json()
    assert len(data["results"]) == 3
    assert {p["owner_code"] for p in data["results"]} == {"310115"}
    # Newest first: the first project made is the last of the page.
    assert data["results"][-1]["amounts"][0]["claimed"] == "2.000"
    assert [r["action"] for r in data["results"][-1]["reviews"]] == ["create", "submit"]
    everyone = client_for(municipal_clerk).get("/api/v1/projects/", {"tier": "KEY"}).json()
    assert len(everyone["results"]) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [("year", "abc"), ("project_type", "abc"), ("project_type", "1e9"), ("status", "NOPE")],
)
def test_api_refuses_a_bad_filter_with_a_400_naming_it(client_for, municipal_clerk, name, value):
    response = client_for(municipal_clerk).get("/api/v1/projects/", {name: value})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]


def test_list_page_shows_a_bad_filter_next_to_its_field(client_for, municipal_clerk):
    response = client_for(municipal_clerk).get(reverse("reductions:list"), {"year": "abc"})
    assert response.status_code == 200
    assert "输入整数" in response.content.decode()


def test_project_admin_is_read_only(client, bureau, district_clerk):
    from tests.factories import UserFactory

    project = make_project(district_clerk)
    admin = UserFactory(is_staff=True, is_superuser=True, entity=bureau)
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/admin/reductions/project/").status_code == 200
    page = client.get(f"/admin/reductions/project/{project.pk}/change/").content.decode()
    assert 'name="_save"' not in page


def test_demo_command_loads_projects_once():
    from django.core.management import call_command

    from reductions.models import Project

    call_command("load_demo")
    loaded = Project.objects.count()
    certified = Project.objects.filter(status="CERTIFIED").count()
    call_command("load_demo")
    # Six reduction demo projects plus the two key projects behind the allocation demo.
    assert loaded == 8
    assert Project.objects.count() == loaded
    assert Project.objects.filter(status="CERTIFIED").count() == certified


def test_national_result_is_recorded_through_the_page(
    client_for, enterprise_user, municipal_approver, municipal_clerk
):
    project = make_project(enterprise_user, amounts={"COD": "9"})
    client = client_for(municipal_approver)
    page = client.get(reverse("reductions:detail", args=[project.pk])).content.decode()
    assert "国家核定文号" not in page
    client.post(reverse("reductions:act", args=[project.pk, "approve"]), {})
    client = client_for(municipal_clerk)
    page = client.get(reverse("reductions:detail", args=[project.pk])).content.decode()
    assert "国家核定文号" in page and "录入国家核定结果" in page
    client.post(
        reverse("reductions:act", args=[project.pk, "approve"]),
        {
            "document_number": "环办总量函〔2026〕3号",
            "document_date": "2026-04-01",
            "amount_COD": "8.5",
        },
    )
    project.refresh_from_db()
    assert project.status == Status.CERTIFIED
    assert project.national_document == "环办总量函〔2026〕3号"
    assert project.amounts.get().certified == Decimal("8.5")


def test_status_counts_are_kept_by_the_database_and_scoped(
    client_for, district_clerk, district_approver, other_district_clerk, municipal_clerk
):
    from reductions.models import ProjectStatusCount

    mine = [make_project(district_clerk, amounts={"COD": "2"}) for _ in range(3)]
    make_project(district_clerk, amounts={"COD": "2"}, submit=False)
    make_project(other_district_clerk, amounts={"COD": "2"})
    kept = dict(
        ProjectStatusCount.objects.filter(owner=district_clerk.entity).values_list(
            "status", "count"
        )
    )
    assert kept.get("SUBMITTED") == 3 and kept.get("DRAFT") == 1
    # The page reads them (no grouping over projects) and shows only what the user sees.
    counts = dict(
        (status, n)
        for _label, status, n, _query in client_for(district_clerk)
        .get(reverse("reductions:list"))
        .context["counts"]
    )
    assert counts["SUBMITTED"] == 3 and counts["DRAFT"] == 1
    everyone = dict(
        (status, n)
        for _label, status, n, _query in client_for(municipal_clerk)
        .get(reverse("reductions:list"))
        .context["counts"]
    )
    assert everyone["SUBMITTED"] == 4
    # A status change moves one project from one count to the other.
    from reductions import services as reduction_services

    reduction_services.act(project=mine[0], user=district_approver, action="approve")
    filtered = dict(
        (status, n)
        for _label, status, n, _query in client_for(district_clerk)
        .get(reverse("reductions:list"), {"tier": mine[0].tier})
        .context["counts"]
    )
    kept = dict(
        ProjectStatusCount.objects.filter(owner=district_clerk.entity).values_list(
            "status", "count"
        )
    )
    assert kept["SUBMITTED"] == 2 and sum(kept.values()) == 4
    assert filtered == {
        status: Project.objects.filter(
            owner=district_clerk.entity, tier=mine[0].tier, status=status
        ).count()
        for status in filtered
    }


def test_a_filtered_list_counts_statuses_only_up_to_a_limit(
    client_for, district_clerk, monkeypatch, django_assert_max_num_queries
):
    from reductions import selectors as reduction_selectors

    for _ in range(3):
        make_project(district_clerk, amounts={"COD": "2"})
    make_project(district_clerk, amounts={"COD": "2"}, submit=False)
    make_project(district_clerk, amounts={"NH3N": "2"})
    client = client_for(district_clerk)
    page = client.get(reverse("reductions:list"), {"pollutant": "COD"})
    counts = {status: n for _label, status, n, _query in page.context["counts"]}
    assert counts["SUBMITTED"] == 3 and counts["DRAFT"] == 1

    monkeypatch.setattr(reduction_selectors, "FILTERED_COUNT_LIMIT", 2)
    with django_assert_max_num_queries(14) as captured:
        page = client.get(reverse("reductions:list"), {"pollutant": "COD"})
    text = page.content.decode()
    assert page.context["counts"] is None
    assert "符合条件的项目超过 2 个：缩小筛选范围后可看到各状态的项目数。" in text
    assert len(page.context["page"].object_list) == 4  # the list itself is whole
    # No grouping over the filtered projects: at most limit + 1 statuses are read.
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert any("LIMIT 3" in q["sql"] for q in captured.captured_queries)


def test_a_status_badge_keeps_the_filters_it_counted(client_for, district_clerk):
    make_project(district_clerk, amounts={"COD": "2"})
    make_project(district_clerk, amounts={"NH3N": "2"})
    client = client_for(district_clerk)
    page = client.get(reverse("reductions:list"), {"pollutant": "COD", "before": "999"})
    submitted = next(c for c in page.context["counts"] if c[1] == "SUBMITTED")
    assert submitted[2] == 1
    assert submitted[3] == "pollutant=COD&status=SUBMITTED"
    assert 'href="?pollutant=COD&amp;status=SUBMITTED"' in page.content.decode()
    followed = client.get(reverse("reductions:list") + "?" + submitted[3])
    assert len(followed.context["page"].object_list) == 1


def test_list_rows_cost_no_query_each(client_for, district_clerk, municipal_clerk):
    """The list reads only the columns it shows; whatever a row displays (owner, a sub-type
    named with its parent type, tier, status, amounts) comes with the page, so one project
    or six cost the same queries, in the browser and through the API."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from reductions.models import ProjectType

    sub_type = ProjectType.objects.filter(parent__isnull=False).first()
    browser = client_for(municipal_clerk)
    api = APIClient()
    api.force_authenticate(municipal_clerk)

    def queries_for(count):
        while Project.objects.count() < count:
            make_project(district_clerk, amounts={"COD": "2", "NH3N": "1"})
        Project.objects.update(project_type=sub_type)
        browser.get(reverse("reductions:list"))  # a session's first request reads more
        api.get("/api/v1/projects/")
        with CaptureQueriesContext(connection) as page:
            response = browser.get(reverse("reductions:list"))
        with CaptureQueriesContext(connection) as listed:
            answer = api.get("/api/v1/projects/")
        return (len(page), len(listed)), response, answer.json()["results"]

    one, _, _ = queries_for(1)
    six, response, results = queries_for(6)
    assert one == six
    html = response.content.decode()
    assert html.count(str(sub_type)) >= 6 and sub_type.parent.name in str(sub_type)
    assert html.count("已提交") >= 6
    assert [p["project_type"] for p in results] == [sub_type.code] * 6
    assert {p["industry"] for p in results} == {"26"}


def test_a_bad_filter_value_leaves_the_other_filters_applied(client_for, district_clerk):
    submitted = make_project(district_clerk)
    make_project(district_clerk, submit=False)
    response = client_for(district_clerk).get(
        reverse("reductions:list"), {"status": "SUBMITTED", "year": "20255"}
    )
    assert [p.pk for p in response.context["page"].object_list] == [submitted.pk]
    assert response.context["form"].errors["year"]


def test_a_heading_type_lists_the_projects_of_its_sub_types(
    client_for, district_clerk, municipal_clerk
):
    from rest_framework.test import APIClient

    from reductions.models import ProjectType

    sub_type = ProjectType.objects.filter(parent__isnull=False).first()
    project = make_project(district_clerk, submit=False)
    make_project(district_clerk, submit=False)
    Project.objects.filter(pk=project.pk).update(project_type=sub_type)
    heading = sub_type.parent
    page = client_for(municipal_clerk).get(reverse("reductions:list"), {"project_type": heading.pk})
    assert [p.pk for p in page.context["page"].object_list] == [project.pk]
    api = APIClient()
    api.force_authenticate(municipal_clerk)
    listed = api.get("/api/v1/projects/", {"project_type": heading.code}).json()["results"]
    assert [p["id"] for p in listed] == [project.pk]
    listed = api.get("/api/v1/projects/", {"project_type": sub_type.code}).json()["results"]
    assert [p["id"] for p in listed] == [project.pk]

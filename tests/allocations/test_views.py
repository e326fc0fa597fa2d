from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations import services
from allocations.models import AllocationRound, Target
from ledger import services as ledger_services
from ledger.models import Correction
from reductions import services as reduction_services
from reductions.models import PlanPeriod
from tests.factories import UserFactory, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def due(pudong, district_clerk, district_approver, municipal_approver, municipal_clerk):
    """Pudong met its COD target of 10 t with 12 t of key reductions: 2 t are due."""
    project = make_project(district_clerk, amounts={"COD": "12"})
    act = reduction_services.act
    project = act(project=project, user=district_approver, action="approve")
    project = act(project=project, user=municipal_approver, action="approve")
    act(
        project=project,
        user=municipal_clerk,
        action="approve",
        document_number="N",
        document_date=timezone.localdate(),
    )
    services.set_target(
        entity=pudong,
        plan_period=PlanPeriod.objects.get(code="14FYP"),
        pollutant="COD",
        amount="10",
        reason="",
        user=municipal_clerk,
    )


@pytest.mark.parametrize(
    ("user_fixture", "status"),
    [
        ("municipal_clerk", 200),
        ("municipal_approver", 200),
        ("auditor", 200),
        ("district_clerk", 403),
        ("enterprise_user", 403),
    ],
)
def test_round_and_overview_pages_are_municipal(request, client_for, user_fixture, status):
    client = client_for(request.getfixturevalue(user_fixture))
    for name in ("allocations:rounds", "allocations:overview", "allocations:targets"):
        assert client.get(reverse(name)).status_code == status, name


def test_entity_progress_for_own_entity_only(client_for, district_clerk, pudong, xuhui, due):
    client = client_for(district_clerk)
    period = PlanPeriod.objects.get(code="14FYP")
    page = client.get(
        reverse("allocations:progress", args=[pudong.code]), {"plan_period": period.pk}
    )
    assert page.status_code == 200
    cod = next(r for r in page.context["rows"] if r.pollutant == "COD")
    assert (cod.key, cod.target, cod.met, cod.give) == (
        Decimal("12"),
        Decimal("10"),
        True,
        Decimal("2"),
    )
    assert client.get(reverse("allocations:progress", args=[xuhui.code])).status_code == 403


def test_overview_is_bounded(client_for, municipal_clerk, due, django_assert_max_num_queries):
    client = client_for(municipal_clerk)
    params = {"plan_period": PlanPeriod.objects.get(code="14FYP").pk}
    with django_assert_max_num_queries(12):
        page = client.get(reverse("allocations:overview"), params)
    assert page.status_code == 200
    assert 'class="met-status met"' in page.content.decode()


def test_overview_pages_through_every_entity_once_at_the_same_cost(
    client_for, municipal_clerk, due, django_assert_max_num_queries
):
    from allocations.views import OVERVIEW_ENTITIES
    from ledger.models import Entity
    from tests.factories import EntityFactory

    for n in range(OVERVIEW_ENTITIES + 5):
        EntityFactory(kind="ENTERPRISE", code=f"E{n:03d}")
    expected = list(
        Entity.objects.filter(
            kind__in=["DISTRICT", "COMMITTEE", "ENTERPRISE"], is_active=True
        ).order_by("kind", "code")
    )
    client = client_for(municipal_clerk)
    query = f"plan_period={PlanPeriod.objects.get(code='14FYP').pk}"
    seen, costs = [], []
    while query is not None and len(costs) < 10:
        with django_assert_max_num_queries(14) as captured:
            page = client.get(reverse("allocations:overview") + "?" + query)
        costs.append(len(captured))
        assert "OFFSET" not in " ".join(q["sql"] for q in captured.captured_queries)
        entities = [entity for entity, _rows in page.context["table"]]
        assert len(entities) <= OVERVIEW_ENTITIES
        seen += entities
        query = page.context["page"].older_query
        if query is not None:
            assert "下一页" in page.content.decode()
    assert seen == expected and len(costs) >= 2
    assert len(set(costs[1:])) == 1
    # A date with no policy in force shows why, and no pages of an empty table.
    refused = client.get(reverse("allocations:overview"), {"as_of": "2020-12-31"})
    text = refused.content.decode()
    assert "没有生效的分配口径" in text and "下一页" not in text


def test_round_lifecycle_through_the_pages(
    client_for, municipal_clerk, municipal_approver, pudong, due
):
    period = PlanPeriod.objects.get(code="14FYP")
    clerk = client_for(municipal_clerk)
    response = clerk.post(
        reverse("allocations:rounds"),
        {"plan_period": period.pk, "as_of": timezone.localdate().isoformat()},
    )
    round_ = AllocationRound.objects.get()
    assert response.url == reverse("allocations:round", args=[round_.pk])
    line = round_.lines.get()
    response = clerk.post(
        reverse("allocations:line_adjust", args=[line.pk]),
        {"amount": "3", "reason": "x"},
        follow=True,
    )
    assert "只能调低" in response.content.decode()
    clerk.post(
        reverse("allocations:line_adjust", args=[line.pk]), {"amount": "1.5", "reason": "留存"}
    )
    assert (
        clerk.post(reverse("allocations:round_act", args=[round_.pk, "approve"])).status_code == 403
    )
    clerk.post(reverse("allocations:round_act", args=[round_.pk, "submit"]))
    approver = client_for(municipal_approver)
    page = approver.get(reverse("allocations:round", args=[round_.pk])).content.decode()
    assert "批准并入账" in page
    # The policy line reads as Chinese: full-width punctuation, no ASCII glue.
    policy = page.split('<p class="muted">分配口径：', 1)[1].split("</p>", 1)[0]
    assert "——目标完成" in policy and "；" in policy and policy.endswith("。"), policy
    assert not any(mark in policy for mark in (": ", "; ", ".")), policy
    approver.post(reverse("allocations:round_act", args=[round_.pk, "approve"]))
    round_.refresh_from_db()
    assert round_.status == "APPROVED"
    assert ledger_services.entity_account(pudong, "COD").balance == Decimal("1.5")
    page = approver.get(reverse("allocations:round", args=[round_.pk])).content.decode()
    propose = reverse("ledger:correction_new", args=["revoke_round", round_.pk])
    assert propose in page
    form = approver.get(propose).content.decode()
    assert "从浦东新区收回化学需氧量（COD） 1.500 吨" in form  # what approving will post
    response = approver.post(propose, {"reason": ""})
    assert "该字段是必填项" in response.content.decode()
    approver.post(propose, {"reason": "复核"})
    assert ledger_services.entity_account(pudong, "COD").balance == Decimal("1.5")
    second = client_for(UserFactory(entity=municipal_approver.entity, roles=["MUNICIPAL_APPROVER"]))
    correction = Correction.objects.get()
    second.post(reverse("ledger:correction", args=[correction.pk]), {"decision": "approve"})
    assert ledger_services.entity_account(pudong, "COD").balance == 0
    round_.refresh_from_db()
    assert round_.status == "REVOKED"


def test_second_open_round_is_refused_on_the_page(client_for, municipal_clerk):
    period = PlanPeriod.objects.get(code="14FYP")
    client = client_for(municipal_clerk)
    data = {"plan_period": period.pk, "as_of": timezone.localdate().isoformat()}
    client.post(reverse("allocations:rounds"), data)
    response = client.post(reverse("allocations:rounds"), data)
    assert "仍未结束" in response.content.decode()
    assert AllocationRound.objects.count() == 1


def test_target_form(client_for, municipal_clerk, auditor, pudong):
    period = PlanPeriod.objects.get(code="14FYP")
    data = {"entity": pudong.pk, "plan_period": period.pk, "pollutant": "NOX", "amount": "30"}
    assert client_for(auditor).post(reverse("allocations:targets"), data).status_code == 403
    client = client_for(municipal_clerk)
    client.post(reverse("allocations:targets"), data)
    response = client.post(reverse("allocations:targets"), {**data, "amount": "28"})
    assert "请说明目标调整的理由" in response.content.decode()
    client.post(reverse("allocations:targets"), {**data, "amount": "28", "reason": "国家调整"})
    assert Target.objects.get().amount == Decimal("28")


def test_construction_project_through_the_pages(
    client_for, district_clerk, district_approver, other_district_clerk, municipal_clerk, pudong
):
    from allocations.models import ConstructionProject
    from reductions.models import Industry
    from tests.factories import fund

    fund(pudong, "NOX", "5", user=municipal_clerk)
    clerk = client_for(district_clerk)
    response = clerk.post(
        reverse("allocations:construction_new"),
        {
            "name": "新建喷涂车间",
            "builder": "上海某汽车零部件有限公司",
            "eia_number": "沪环评〔2026〕88号",
            "owner": pudong.pk,
            "industry": Industry.objects.get(code="36").pk,
            "area_status": "ATTAINMENT",
            "emission_NOX": "2",
        },
    )
    project = ConstructionProject.objects.get()
    assert response.url == reverse("allocations:construction", args=[project.pk])
    bureau_pk = services.drawable_accounts(project)[1].pk
    too_much = clerk.post(
        response.url, {f"cover_NOX_{pudong.pk}": "1", f"cover_NOX_{bureau_pk}": "0.5"}
    )
    assert "必须一致" in too_much.content.decode()
    clerk.post(response.url, {f"cover_NOX_{pudong.pk}": "2"})
    project.refresh_from_db()
    assert project.status == "REQUESTED"
    assert ledger_services.entity_account(pudong, "NOX").available == Decimal("3")
    assert client_for(other_district_clerk).get(response.url).status_code == 404
    approver = client_for(district_approver)
    waiting = approver.get(reverse("allocations:constructions"), {"waiting": "1"})
    assert [p.pk for p in waiting.context["page"]] == [project.pk]
    approver.post(reverse("allocations:construction_act", args=[project.pk, "approve"]))
    project.refresh_from_db()
    assert project.status == "APPROVED"
    assert ledger_services.entity_account(pudong, "NOX").balance == Decimal("3")


def test_insufficient_quota_shows_figures_on_the_page(client_for, district_clerk, pudong):
    from allocations.models import ConstructionProject
    from reductions.models import Industry

    project = services.save_construction_project(
        user=district_clerk,
        data={
            "name": "x",
            "builder": "y",
            "eia_number": "E-9",
            "owner": pudong,
            "industry": Industry.objects.get(code="36"),
            "area_status": "ATTAINMENT",
        },
        emissions={"COD": Decimal("1")},
    )
    response = client_for(district_clerk).post(
        reverse("allocations:construction", args=[project.pk]), {f"cover_COD_{pudong.pk}": "1"}
    )
    assert "可用指标不足" in response.content.decode()
    assert ConstructionProject.objects.get().status == "DRAFT"


def test_target_entered_in_admin_keeps_history(client, municipal_clerk, pudong):
    municipal_clerk.is_staff = True
    municipal_clerk.save()
    client.force_login(municipal_clerk, backend="django.contrib.auth.backends.ModelBackend")
    period = PlanPeriod.objects.get(code="14FYP")
    data = {"entity": pudong.pk, "plan_period": period.pk, "pollutant": "COD", "amount": "10"}
    assert client.post("/admin/allocations/target/add/", data).status_code == 302
    target = Target.objects.get()
    url = f"/admin/allocations/target/{target.pk}/change/"
    refused = client.post(url, {**data, "amount": "9"})
    assert refused.status_code == 200 and "请说明目标调整的理由" in refused.content.decode()
    client.post(url, {**data, "amount": "9", "reason": "国家下达"})
    assert list(target.changes.values_list("new_amount", flat=True)) == [
        Decimal("9"),
        Decimal("10"),
    ]


def test_request_form_follows_the_service_rule(
    client_for, district_clerk, make_user, other_district_clerk, pudong
):
    from ledger.models import Role
    from reductions.models import Industry

    project = services.save_construction_project(
        user=district_clerk,
        data={
            "name": "x",
            "builder": "y",
            "eia_number": "R-1",
            "owner": pudong,
            "industry": Industry.objects.get(code="36"),
            "area_status": "ATTAINMENT",
        },
        emissions={"NOX": Decimal("1")},
    )
    colleague = make_user(Role.DISTRICT_CLERK, pudong)
    page = client_for(colleague).get(reverse("allocations:construction", args=[project.pk]))
    assert page.context["may_request"] and not page.context["may_withdraw"]
    assert services.may_request_use(colleague, project)
    assert not services.may_request_use(other_district_clerk, project)

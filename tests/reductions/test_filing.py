"""National filing of small packages (notice 三(二)): recorded by a district clerk, confirmed
by a different district approver; only projects of a FILED bundle are certified; bundle pages
and the sheet show district-reviewed amounts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ledger import services as ledger_services
from ledger.models import Role
from reductions import bundles, services
from reductions.models import BundleFiling, FilingStatus, Status
from tests.factories import attach_evidence, correct, file_bundle, make_project, project_data

pytestmark = pytest.mark.django_db
D = Decimal
FILED_ON = "2025-08-01"


def reviewed(clerk, approver, amounts=None, reviewed_amounts=None, **kwargs):
    project = make_project(clerk, amounts=amounts or {"COD": "2"}, **kwargs)
    return services.act(project=project, user=approver, action="approve", amounts=reviewed_amounts)


def open_bundle(user, project) -> bundles.Bundle:
    return next(b for b in bundles.bundles(user) if project in b.projects)


def messages_of(response) -> str:
    return response.content.decode()


def record_on_page(client, bundle, number="国减备〔2025〕0001", date=FILED_ON):
    return client.post(
        f"{reverse('reductions:bundle_file')}?key={bundle.key}",
        {"filing_number": number, "filing_date": date},
        follow=True,
    )


def test_a_clerk_records_and_another_district_approver_confirms_the_filing(
    client_for, district_clerk, district_approver
):
    a = reviewed(district_clerk, district_approver, {"COD": "2"})
    b = reviewed(district_clerk, district_approver, {"COD": "3"})
    bundle = open_bundle(district_clerk, a)
    page = client_for(district_clerk).get(reverse("reductions:bundle"), {"key": bundle.key})
    assert page.context["can_record"] and "登记国家系统填报" in messages_of(page)
    assert (
        not client_for(district_approver)
        .get(reverse("reductions:bundle"), {"key": bundle.key})
        .context["can_record"]
    )

    response = record_on_page(client_for(district_clerk), bundle)
    assert "填报已登记，下一步由区审核人员确认。" in messages_of(response)
    filing = BundleFiling.objects.get()
    assert (filing.status, filing.filing_number) == (FilingStatus.PENDING, "国减备〔2025〕0001")
    assert set(filing.projects.values_list("pk", flat=True)) == {a.pk, b.pk}
    assert bundles.bundles(district_clerk) == []

    # The recorder cannot confirm, and neither can the clerk role.
    assert (
        not client_for(district_clerk)
        .get(reverse("reductions:filing", args=[filing.pk]))
        .context["can_decide"]
    )
    client = client_for(district_approver)
    assert client.get(reverse("reductions:filing", args=[filing.pk])).context["can_decide"]
    response = client.post(
        reverse("reductions:filing_decide", args=[filing.pk, "confirm"]), follow=True
    )
    assert "填报已确认：该打包已完成填报。" in messages_of(response)
    filing.refresh_from_db()
    assert (filing.status, filing.confirmed_by) == (FilingStatus.FILED, district_approver)


def test_the_person_who_recorded_a_filing_cannot_confirm_it_even_with_both_roles(
    client_for, make_user, pudong, district_clerk, district_approver
):
    both = make_user(Role.DISTRICT_CLERK, pudong, username="d_both")
    ledger_services.set_roles(user=both, roles=[Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER])
    project = reviewed(district_clerk, district_approver)
    filing = bundles.record_filing(
        user=both,
        bundle=open_bundle(both, project),
        filing_number="F-1",
        filing_date=datetime.date(2025, 8, 1),
    )
    response = client_for(both).post(
        reverse("reductions:filing_decide", args=[filing.pk, "confirm"]), follow=True
    )
    assert "该填报由您登记，须由其他人员（区审核人员）确认。" in messages_of(response)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.PENDING
    bundles.confirm_filing(user=district_approver, filing=filing)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.FILED


def test_the_set_of_projects_is_frozen_at_filing(district_clerk, district_approver):
    a = reviewed(district_clerk, district_approver)
    filing = file_bundle(a, clerk=district_clerk, approver=district_approver)
    later = reviewed(district_clerk, district_approver)  # same bundle key
    assert list(filing.projects.all()) == [a]
    fresh = open_bundle(district_clerk, later)
    assert fresh.key == filing.bundle_key and fresh.projects == [later]


def test_a_filing_number_used_before_is_refused_naming_the_earlier_filing(
    client_for, district_clerk, district_approver
):
    a = reviewed(district_clerk, district_approver)
    first = file_bundle(a, clerk=district_clerk, approver=district_approver, number="F-7")
    b = reviewed(district_clerk, district_approver, industry=_industry("17"))
    response = record_on_page(client_for(district_clerk), open_bundle(district_clerk, b), "F-7")
    day = timezone.localtime(first.recorded_at).date().isoformat()
    assert (
        f"国家系统填报编号 F-7 已被第 {first.pk} 号填报（{first.label}）使用，"
        f"由 d_clerk 于 {day} 登记。" in messages_of(response)
    )
    assert BundleFiling.objects.count() == 1


def test_a_rejected_filing_opens_its_projects_again_and_frees_its_number(
    client_for, district_clerk, district_approver
):
    project = reviewed(district_clerk, district_approver)
    filing = bundles.record_filing(
        user=district_clerk,
        bundle=open_bundle(district_clerk, project),
        filing_number="F-9",
        filing_date=datetime.date(2025, 8, 1),
    )
    client = client_for(district_approver)
    url = reverse("reductions:filing_decide", args=[filing.pk, "reject"])
    assert "请填写驳回该填报的理由。" in messages_of(client.post(url, {"reason": ""}, follow=True))
    client.post(url, {"reason": "日期有误"})
    filing.refresh_from_db()
    assert (filing.status, filing.rejection_reason) == (FilingStatus.REJECTED, "日期有误")
    project.refresh_from_db()
    assert project.filing is None
    again = file_bundle(project, clerk=district_clerk, approver=district_approver, number="F-9")
    assert again.status == FilingStatus.FILED


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2999-01-01", "填报日期不能晚于今天。"),
        ("9999-12-31", "填报日期不能晚于今天。"),
        ("0001-01-01", "填报日期不能早于"),
        ("2025-06-29", "填报日期不能早于“示例减排项目”的完成日期（2025-06-30）。"),
    ],
)
def test_an_implausible_filing_date_is_refused(
    client_for, district_clerk, district_approver, date, message
):
    project = reviewed(district_clerk, district_approver)
    response = record_on_page(
        client_for(district_clerk), open_bundle(district_clerk, project), date=date
    )
    assert message in messages_of(response)
    assert not BundleFiling.objects.exists()


NOT_FILED = (
    "该小额打包项目须先随所在打包在国家系统完成填报（区经办人员登记填报、区审核人员确认），"
    "之后方可核定。"
)


def test_an_unfiled_package_is_not_certified_by_the_service_the_page_or_the_queue(
    client_for, district_clerk, district_approver, municipal_approver
):
    project = reviewed(district_clerk, district_approver)
    with pytest.raises(services.FilingRefused) as refused:
        services.act(project=project, user=municipal_approver, action="approve")
    assert refused.value.code == "package_not_filed"

    client = client_for(municipal_approver)
    page = client.get(reverse("reductions:detail", args=[project.pk])).content.decode()
    assert "须在所在打包完成国家系统填报后核定" in page
    response = client.post(reverse("reductions:act", args=[project.pk, "approve"]), follow=True)
    assert NOT_FILED in messages_of(response)

    assert project not in client.get(reverse("reductions:queue")).context["page"].object_list
    response = client.post(reverse("reductions:queue"), {"project": [project.pk]}, follow=True)
    assert NOT_FILED in messages_of(response)
    project.refresh_from_db()
    assert project.status == Status.DISTRICT_REVIEWED


def test_a_recorded_but_unconfirmed_filing_is_not_enough(
    district_clerk, district_approver, municipal_approver
):
    project = reviewed(district_clerk, district_approver)
    bundles.record_filing(
        user=district_clerk,
        bundle=open_bundle(district_clerk, project),
        filing_number="F-2",
        filing_date=datetime.date(2025, 8, 1),
    )
    with pytest.raises(services.FilingRefused, match="须先随所在打包"):
        services.act(project=project, user=municipal_approver, action="approve")


def test_filed_projects_are_certified_singly_from_the_page_in_bulk_or_as_a_bundle(
    client_for, district_clerk, district_approver, municipal_approver
):
    a = reviewed(district_clerk, district_approver, {"COD": "2"})
    b = reviewed(district_clerk, district_approver, {"COD": "3"})
    c = reviewed(district_clerk, district_approver, {"COD": "4"})
    filing = file_bundle([a, b, c], clerk=district_clerk, approver=district_approver)
    client = client_for(municipal_approver)
    assert {p.pk for p in client.get(reverse("reductions:queue")).context["page"]} == {
        a.pk,
        b.pk,
        c.pk,
    }
    client.post(reverse("reductions:act", args=[a.pk, "approve"]), {"amount_COD": "1.9"})
    client.post(reverse("reductions:queue"), {"project": [b.pk]})
    client.post(reverse("reductions:filing_certify", args=[filing.pk]))
    statuses = {p.pk: p.status for p in filing.projects.all()}
    assert statuses == {a.pk: "CERTIFIED", b.pk: "CERTIFIED", c.pk: "CERTIFIED"}
    a.refresh_from_db()
    assert a.amounts.get().certified == D("1.900")


def test_bundle_page_and_sheets_show_district_reviewed_amounts(
    client_for, district_clerk, district_approver, municipal_approver
):
    """Seen: the sheet said 3.000 t claimed while the project was reviewed at 2.950."""
    project = reviewed(
        district_clerk, district_approver, {"COD": "3", "NH3N": "0.4"}, {"COD": "2.950"}
    )
    other = reviewed(district_clerk, district_approver, {"COD": "1"})
    client = client_for(district_clerk)
    bundle = open_bundle(district_clerk, project)
    assert bundle.totals == {"COD": D("3.950"), "NH3N": D("0.400")}
    page = client.get(reverse("reductions:bundle"), {"key": bundle.key}).content.decode()
    assert "区审核量（吨/年）" in page and "COD 2.950" in page and "COD 3.000" not in page

    def sheet_rows(response):
        content = b"".join(response.streaming_content)
        return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))

    rows = sheet_rows(client.get(reverse("reductions:bundle_export"), {"key": bundle.key}))
    assert rows[5][1] == project.name and rows[5][8:] == (2.95, 0.4)
    assert rows[6][8:] == (1, None)
    assert rows[7][0] == "合计" and rows[7][8:] == (3.95, 0.4)

    filing = file_bundle([project, other], clerk=district_clerk, approver=district_approver)
    services.act(project=project, user=municipal_approver, action="approve", amounts={"COD": "2.9"})
    rows = sheet_rows(client.get(reverse("reductions:filing_export", args=[filing.pk])))
    assert rows[5][8:] == (2.95, 0.4)  # as filed, not as certified
    assert rows[7][8:] == (3.95, 0.4)
    page = client.get(reverse("reductions:filing", args=[filing.pk])).content.decode()
    assert "COD 2.950" in page and "COD 3.000" not in page


def test_a_project_returned_from_a_filed_bundle_leaves_it_and_is_filed_again_later(
    client_for, district_clerk, district_approver, municipal_approver
):
    a = reviewed(district_clerk, district_approver)
    b = reviewed(district_clerk, district_approver)
    filing = file_bundle([a, b], clerk=district_clerk, approver=district_approver)
    services.act(project=a, user=municipal_approver, action="return", comment="监测数据有误")
    a.refresh_from_db()
    assert a.filing is None and a.filing_items.get().filing == filing
    filing.refresh_from_db()
    assert filing.status == FilingStatus.FILED and list(filing.projects.all()) == [b]
    page = client_for(district_clerk).get(reverse("reductions:filing", args=[filing.pk]))
    assert "已退出该填报（已退回）" in page.content.decode()
    services.act(project=a, user=district_clerk, action="submit")
    services.act(project=a, user=district_approver, action="approve")
    assert open_bundle(district_clerk, a).projects == [a]


def test_filings_are_seen_only_by_their_district_and_the_bureau(
    client_for, district_clerk, district_approver, other_district_clerk, municipal_clerk
):
    project = reviewed(district_clerk, district_approver)
    filing = file_bundle(project, clerk=district_clerk, approver=district_approver)
    url = reverse("reductions:filing", args=[filing.pk])
    assert client_for(other_district_clerk).get(url).status_code == 404
    assert client_for(municipal_clerk).get(url).status_code == 200
    assert bundles.waiting_filings(other_district_clerk).count() == 0


def test_an_enterprise_files_its_own_package_when_submitting(
    client_for, enterprise_user, municipal_approver
):
    project = make_project(enterprise_user, amounts={"COD": "2"}, submit=False)
    attach_evidence(project, enterprise_user)
    client = client_for(enterprise_user)
    page = client.get(reverse("reductions:detail", args=[project.pk])).content.decode()
    assert "国家系统填报编号" in page
    url = reverse("reductions:act", args=[project.pk, "submit"])
    response = client.post(url, {}, follow=True)
    assert "提交前请填写该小额打包项目在国家减排信息系统的填报编号和填报日期。" in messages_of(
        response
    )
    project.refresh_from_db()
    assert project.status == Status.DRAFT
    client.post(url, {"submit-filing_number": "QY-2025-01", "submit-filing_date": "2025-07-02"})
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED
    filing = project.filing
    assert (filing.filing_number, filing.status, filing.self_filed) == (
        "QY-2025-01",
        FilingStatus.FILED,
        True,
    )
    assert (filing.recorded_by, filing.confirmed_by) == (enterprise_user, None)
    submit = project.reviews.get(action="submit")
    assert (submit.document_number, str(submit.document_date)) == ("QY-2025-01", "2025-07-02")
    services.act(project=project, user=municipal_approver, action="approve")
    project.refresh_from_db()
    assert project.status == Status.CERTIFIED


def test_an_enterprise_keeps_its_filing_number_when_resubmitting_but_not_anothers(
    enterprise_user, municipal_approver, district_clerk, district_approver
):
    district = reviewed(district_clerk, district_approver)
    file_bundle(district, clerk=district_clerk, approver=district_approver, number="DUP-1")
    project = make_project(enterprise_user, amounts={"COD": "2"}, submit=False)
    attach_evidence(project, enterprise_user)
    with pytest.raises(services.FilingRefused, match="DUP-1 已被第"):
        services.act(
            project=project,
            user=enterprise_user,
            action="submit",
            filing_number="DUP-1",
            filing_date=datetime.date(2025, 7, 2),
        )
    services.act(
        project=project,
        user=enterprise_user,
        action="submit",
        filing_number="QY-9",
        filing_date=datetime.date(2025, 7, 2),
    )
    services.act(project=project, user=municipal_approver, action="return", comment="补充")
    services.save_project(
        user=enterprise_user,
        owner=project.owner,
        data=project_data(),
        amounts={"COD": D("1.8")},
        project=project,
    )
    project = services.act(
        project=project,
        user=enterprise_user,
        action="submit",
        filing_number="QY-9",
        filing_date=datetime.date(2025, 7, 9),
    )
    assert project.filing.filing_number == "QY-9"
    assert str(project.filing.filing_date) == "2025-07-09"
    assert project.filing.items.get().amounts == {"COD": "1.800"}
    assert BundleFiling.objects.filter(filing_number="QY-9").count() == 1


def _industry(code):
    from reductions.models import Industry

    return Industry.objects.get(code=code)


def test_a_revoked_package_is_filed_again_after_its_next_district_review(
    district_clerk, district_approver, municipal_approver, second_approver
):
    project = reviewed(district_clerk, district_approver)
    file_bundle(project, clerk=district_clerk, approver=district_approver)
    services.act(project=project, user=municipal_approver, action="approve")
    correct(
        "revoke_certification",
        project,
        proposer=municipal_approver,
        approver=second_approver,
        reason="重复申报",
    )
    project = services.act(project=project, user=district_clerk, action="submit")
    assert project.filing is None
    project = services.act(project=project, user=district_approver, action="approve")
    with pytest.raises(services.FilingRefused, match="须先随所在打包"):
        services.act(project=project, user=municipal_approver, action="approve")

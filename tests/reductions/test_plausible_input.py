"""Plausible input (issue 8 item 9): sizes above 0, dates within reach, no review to 0."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Transaction
from reductions import services
from reductions.models import Project, ProjectType, Status
from tests.factories import make_project
from tests.reductions.test_views import form_data

pytestmark = pytest.mark.django_db


def boiler_form(**overrides):
    data = form_data(
        project_type=ProjectType.objects.get(code="A_COAL_BOILER").pk,
        amount_COD="",
        amount_NOX="0.5",
        fuel_type="COAL",
        boiler_capacity="50",
    )
    data.update(overrides)
    return data


WITHIN_PLAN = "完成日期必须在 “十四五” (2021–2025) 之内。"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"boiler_capacity": "-50"}, "锅炉规模须大于 0 蒸吨/小时。"),
        ({"boiler_capacity": "0"}, "锅炉规模须大于 0 蒸吨/小时。"),
        ({"sewage_capacity": "-1"}, "处理规模须大于 0 吨/日。"),
        ({"completion_date": "9999-12-31"}, "完成日期不能晚于今天。"),
        ({"completion_date": "0001-01-01"}, WITHIN_PLAN),
        ({"completion_date": "2020-12-31"}, WITHIN_PLAN),
        ({"completion_date": "2026-01-10", "accounting_year": "2025"}, WITHIN_PLAN),
    ],
)
def test_implausible_project_input_is_refused_in_chinese_and_nothing_saved(
    client_for, district_clerk, overrides, message
):
    response = client_for(district_clerk).post(reverse("reductions:new"), boiler_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Project.objects.exists()


def test_a_future_completion_date_is_refused(client_for, district_clerk, pudong):
    from tests.factories import project_data

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(services.ProjectError) as refused:
        services.save_project(
            user=district_clerk,
            owner=pudong,
            data=project_data(completion_date=tomorrow),
            amounts={"COD": 2},
        )
    assert refused.value.errors["completion_date"] == "完成日期不能晚于今天。"


def test_a_negative_boiler_no_longer_turns_a_key_project_into_a_package(client_for, district_clerk):
    client = client_for(district_clerk)
    client.post(reverse("reductions:new"), boiler_form())
    assert Project.objects.get().tier == "KEY"


@pytest.fixture
def waiting_for_national_result(enterprise_user, municipal_approver):
    project = make_project(enterprise_user, amounts={"COD": "9"})
    return services.act(project=project, user=municipal_approver, action="approve")


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("0001-01-01", "国家核定日期不能早于项目完成日期（2025-06-30）。"),
        ("2025-06-29", "国家核定日期不能早于项目完成日期（2025-06-30）。"),
        ("9999-12-31", "国家核定日期不能晚于今天。"),
    ],
)
def test_an_implausible_national_certification_date_is_refused(
    client_for, municipal_clerk, waiting_for_national_result, date, message
):
    project = waiting_for_national_result
    response = client_for(municipal_clerk).post(
        reverse("reductions:act", args=[project.pk, "approve"]),
        {"document_number": "环办总量函〔2026〕3号", "document_date": date},
        follow=True,
    )
    assert message in response.content.decode()
    project.refresh_from_db()
    assert project.status == Status.MUNICIPAL_REVIEWED and project.national_date is None


def test_a_review_that_lowers_every_amount_to_zero_is_refused(
    client_for, district_clerk, district_approver
):
    project = make_project(district_clerk, amounts={"COD": "0.08", "NH3N": "0.02"})
    client = client_for(district_approver)
    url = reverse("reductions:act", args=[project.pk, "approve"])
    response = client.post(url, {"amount_COD": "0", "amount_NH3N": "0"}, follow=True)
    assert (
        "审核不能将全部减排量核减为 0；如项目不成立，请填写理由退回录入人员。"
        in response.content.decode()
    )
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED
    assert {a.certified for a in project.amounts.all()} == {None}
    assert not Transaction.objects.exists()
    client.post(url, {"amount_COD": "0.07", "amount_NH3N": "0"})
    project.refresh_from_db()
    assert project.status == Status.CERTIFIED

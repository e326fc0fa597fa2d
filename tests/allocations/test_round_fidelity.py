"""Rounds under maker–checker over the whole path, and dates before the first plan period."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations import selectors, services
from allocations.models import AllocationRound, RoundAction, RoundStatus
from ledger.models import Role, Transaction
from tests.factories import UserFactory

from .conftest import set_target

D = Decimal
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def due(pudong, period, certify_key, municipal_clerk):
    certify_key("12")
    set_target(pudong, period, "10", municipal_clerk)


def test_whoever_lowered_a_line_cannot_approve(
    client_for, bureau, period, due, municipal_clerk, dual_municipal, municipal_approver
):
    round_ = services.draft_round(plan_period=period, as_of=TODAY, user=municipal_clerk)
    services.adjust_line(line=round_.lines.get(), amount="1.5", reason="预留", user=dual_municipal)
    services.submit_round(round_=round_, user=municipal_clerk)
    with pytest.raises(services.MakerCannotDecide) as refused:
        services.approve_round(round_=round_, approver=dual_municipal)
    assert str(refused.value) == "您起草、调低或提交了该分配批次，须由另一位市级审核人员决定。"
    client = client_for(dual_municipal)
    page = client.get(reverse("allocations:round", args=[round_.pk]))
    assert not page.context["can_decide"]
    assert "须由另一位市级审核人员决定" in page.content.decode()
    response = client.post(
        reverse("allocations:round_act", args=[round_.pk, "approve"]), follow=True
    )
    assert "您起草、调低或提交了该分配批次" in response.content.decode()
    assert not Transaction.objects.exists()
    services.approve_round(round_=round_, approver=municipal_approver)
    round_.refresh_from_db()
    assert [s.action for s in round_.steps.all()] == [
        RoundAction.DRAFT,
        RoundAction.ADJUST,
        RoundAction.SUBMIT,
        RoundAction.APPROVE,
    ]
    assert round_.lines.get().adjusted_by == dual_municipal


def test_whoever_submitted_cannot_approve_or_return(period, due, municipal_clerk, dual_municipal):
    round_ = services.draft_round(plan_period=period, as_of=TODAY, user=municipal_clerk)
    services.submit_round(round_=round_, user=dual_municipal)
    with pytest.raises(services.MakerCannotDecide):
        services.approve_round(round_=round_, approver=dual_municipal)
    with pytest.raises(services.MakerCannotDecide):
        services.return_round(round_=round_, approver=dual_municipal, comment="x")
    round_.refresh_from_db()
    assert round_.submitted_by == dual_municipal and round_.status == RoundStatus.SUBMITTED


def test_whoever_drafted_cannot_approve_though_another_submitted(
    period, due, dual_municipal, municipal_clerk, municipal_approver
):
    round_ = services.draft_round(plan_period=period, as_of=TODAY, user=dual_municipal)
    services.submit_round(round_=round_, user=municipal_clerk)
    with pytest.raises(services.MakerCannotDecide):
        services.approve_round(round_=round_, approver=dual_municipal)
    services.approve_round(round_=round_, approver=municipal_approver)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.APPROVED


def test_a_returned_round_keeps_its_earlier_makers(
    period, due, municipal_clerk, dual_municipal, municipal_approver
):
    """Submitted by A, returned, resubmitted by B: A still took a maker step."""
    round_ = services.draft_round(plan_period=period, as_of=TODAY, user=municipal_clerk)
    services.submit_round(round_=round_, user=dual_municipal)
    services.return_round(round_=round_, approver=municipal_approver, comment="核对")
    services.submit_round(round_=round_, user=municipal_clerk)
    with pytest.raises(services.MakerCannotDecide):
        services.approve_round(round_=round_, approver=dual_municipal)


def test_superuser_without_roles_cannot_take_round_steps(client_for, superuser, period, due):
    with pytest.raises(services.AllocationForbidden, match="您没有执行此操作的权限"):
        services.draft_round(plan_period=period, as_of=TODAY, user=superuser)
    clerk = UserFactory(entity=superuser.entity, roles=[Role.MUNICIPAL_CLERK])
    round_ = services.draft_round(plan_period=period, as_of=TODAY, user=clerk)
    services.submit_round(round_=round_, user=clerk)
    with pytest.raises(services.AllocationForbidden):
        services.approve_round(round_=round_, approver=superuser)
    client = client_for(superuser)
    assert client.get(reverse("allocations:rounds")).status_code == 403
    assert (
        client.post(reverse("allocations:round_act", args=[round_.pk, "approve"])).status_code
        == 403
    )
    assert client.get(reverse("allocations:overview")).status_code == 403


def test_as_of_before_the_first_plan_period_is_explained(
    client_for, period, municipal_clerk, district_clerk, pudong
):
    with pytest.raises(selectors.NoPolicy) as refused:
        selectors.progress(period=period, as_of=datetime.date(2020, 12, 31))
    assert refused.value.code == "no_policy_in_force"
    message = "2020-12-31 没有生效的分配口径：第一个规划期及其分配口径自 2021-01-01 起施行。"
    client = client_for(municipal_clerk)
    page = client.get(reverse("allocations:overview"), {"as_of": "2020-12-31"})
    assert page.status_code == 200 and message in page.content.decode()
    page = client_for(district_clerk).get(
        reverse("allocations:progress", args=[pudong.code]), {"as_of": "0001-01-01"}
    )
    assert page.status_code == 200 and "0001-01-01 没有生效的分配口径" in page.content.decode()
    client = client_for(municipal_clerk)
    response = client.post(
        reverse("allocations:rounds"), {"plan_period": period.pk, "as_of": "2020-12-31"}
    )
    assert response.status_code == 200 and message in response.content.decode()
    with pytest.raises(selectors.NoPolicy):
        services.draft_round(
            plan_period=period, as_of=datetime.date(2020, 12, 31), user=municipal_clerk
        )
    assert not AllocationRound.objects.exists()


def test_over_long_round_comment_and_reason_are_reported(
    client_for, period, due, municipal_clerk, municipal_approver
):
    round_ = services.draft_round(plan_period=period, as_of=TODAY, user=municipal_clerk)
    clerk = client_for(municipal_clerk)
    response = clerk.post(
        reverse("allocations:line_adjust", args=[round_.lines.get().pk]),
        {"amount": "1", "reason": "理" * 301},
        follow=True,
    )
    assert "确保该变量包含不超过 300 字符" in response.content.decode()
    assert round_.lines.get().adjusted is None
    services.submit_round(round_=round_, user=municipal_clerk)
    response = client_for(municipal_approver).post(
        reverse("allocations:round_act", args=[round_.pk, "approve"]),
        {"comment": "意" * 1001},
        follow=True,
    )
    assert "确保该变量包含不超过 1000 字符" in response.content.decode()
    round_.refresh_from_db()
    assert round_.status == RoundStatus.SUBMITTED

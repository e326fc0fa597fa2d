"""The inbox (待我处理): every kind of waiting work for whoever may act on it, oldest first,
counted in the navigation and on the home page in a bounded number of queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations import services as allocation_services
from allocations import trades
from allocations.models import AllocationRound, ReserveIntake, TradeRecord
from ledger import inbox
from ledger import services as ledger_services
from ledger.models import AdjustmentProposal, Correction, Role
from reductions import services as reduction_services
from reductions.models import PlanPeriod, Project
from tests.allocations.conftest import construction, pdf
from tests.conftest import login
from tests.factories import UserFactory, fund, make_project

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 1)


def kinds_of(user) -> dict[str, int]:
    return {c.kind.code: c.count for c in inbox.counts(user)}


def nav_inbox_label(page: str) -> str:
    match = re.search(r'<nav.*?<a href="/inbox/"[^>]*>([^<]*)</a>', page, re.S)
    assert match, "no 待我处理 link in the navigation"
    return match.group(1)


def age(obj, days: int, field: str) -> None:
    type(obj).objects.filter(pk=obj.pk).update(
        **{field: timezone.now() - datetime.timedelta(days=days)}
    )


@pytest.fixture
def waiting_for_municipal_approver(
    bureau, pudong, district_clerk, district_approver, municipal_clerk, second_approver
):
    """One item of each kind a municipal approver decides, none made by them."""
    # A district KEY project the district approved: the municipal review is next.
    project = make_project(district_clerk, code="W_URBAN_SEWAGE", amounts={"COD": "5"})
    project = reduction_services.act(project=project, user=district_approver, action="approve")
    # Use of the municipal reserve by a district construction project.
    fund(bureau, "NOX", "10", user=municipal_clerk)
    use = construction(district_clerk, pudong, NOX="2")
    allocation_services.request_use(
        project=use, user=district_clerk, lines=[(bureau, "NOX", Decimal("2"))]
    )
    # A submitted allocation round.
    round_ = allocation_services.draft_round(
        plan_period=PlanPeriod.objects.get(code="14FYP"),
        as_of=timezone.localdate(),
        user=municipal_clerk,
    )
    allocation_services.submit_round(round_=round_, user=municipal_clerk)
    # A trade record and a reserve intake to confirm.
    trade = trades.record_trade(
        user=district_clerk,
        entity=pudong,
        direction="ACQUIRED",
        certificate_number="JY-1",
        counterparty="上海某化工有限公司",
        trade_date=timezone.localdate(),
        pollutant="NOX",
        amount="1.5",
        evidence=pdf(),
    )
    intake = trades.record_reserve_intake(
        user=municipal_clerk,
        pollutant="NOX",
        amount="2",
        source="BUY_BACK",
        intake_date=timezone.localdate(),
        evidence=pdf(),
    )
    # An adjustment to approve, and the reversal (correction) of an approved one.
    account = ledger_services.entity_account(pudong, "COD")
    adjustment = ledger_services.propose_adjustment(
        account=account, amount="1.250", reason="核对差错", user=municipal_clerk
    )
    approved = ledger_services.propose_adjustment(
        account=account, amount="3", reason="补录", user=municipal_clerk
    )
    posted = ledger_services.approve_adjustment(
        proposal=approved, approver=second_approver, comment=""
    )
    correction = ledger_services.propose_correction(
        action="reverse_transaction",
        record=posted,
        reason="重复入账",
        user=municipal_clerk,
    )
    return {
        "reviews": project,
        "use_requests": use,
        "rounds": round_,
        "trades": trade,
        "reserve_intakes": intake,
        "adjustments": adjustment,
        "corrections": correction,
    }


def test_municipal_approver_sees_every_kind_with_counts(
    client, municipal_approver, waiting_for_municipal_approver
):
    assert kinds_of(municipal_approver) == {
        "reviews": 1,
        "use_requests": 1,
        "rounds": 1,
        "trades": 1,
        "reserve_intakes": 1,
        "adjustments": 1,
        "corrections": 1,
    }
    login(client, municipal_approver)
    page = client.get(reverse("inbox")).content.decode()
    assert nav_inbox_label(page) == "待我处理 (7)"
    w = waiting_for_municipal_approver
    for url in (
        reverse("reductions:detail", args=[w["reviews"].pk]),
        reverse("allocations:construction", args=[w["use_requests"].pk]),
        reverse("allocations:round", args=[w["rounds"].pk]),
        reverse("allocations:trade", args=[w["trades"].pk]),
        reverse("allocations:reserve_intake", args=[w["reserve_intakes"].pk]),
        reverse("ledger:correction", args=[w["corrections"].pk]),
    ):
        assert f'href="{url}"' in page, url
    for label in (
        "待审核的减排项目",
        "待批准的指标使用",
        "待批准的分配批次",
        "待确认的交易记录",
        "待确认的储备库入库",
        "待批准的调整",
        "待批准的更正与冲销",
    ):
        assert label in page, label
    # The reductions queue (bulk approval) stays, linked from its count.
    assert f'href="{reverse("reductions:queue")}"' in page
    assert "NOx 1.500 t" in page  # what the trade would post
    # The home page shows the same counts.
    home = client.get(reverse("home")).content.decode()
    assert nav_inbox_label(home) == "待我处理 (7)"
    assert "待确认的交易记录" in home


def test_nobody_sees_their_own_work_or_work_of_another_role(
    client,
    municipal_clerk,
    auditor,
    district_clerk,
    enterprise_user,
    waiting_for_municipal_approver,
    make_user,
    xuhui,
):
    # The clerk made every item: nothing of it waits for the clerk.
    assert kinds_of(municipal_clerk) == {}
    # Maker–checker: a municipal approver who proposed the adjustment does not see it.
    proposer = UserFactory(entity=municipal_clerk.entity, roles=[Role.MUNICIPAL_APPROVER])
    ledger_services.propose_adjustment(
        account=ledger_services.entity_account(xuhui, "COD"),
        amount="1",
        reason="x",
        user=proposer,
    )
    assert kinds_of(proposer)["adjustments"] == 1  # the clerk's, not their own
    # An auditor and an enterprise user decide nothing.
    for user in (auditor, enterprise_user):
        assert inbox.counts(user) == []
        login(client, user)
        response = client.get(reverse("inbox"))
        assert "没有等待您处理的事项" in response.content.decode()
    # Another district's approver sees none of Pudong's work.
    xuhui_approver = make_user(Role.DISTRICT_APPROVER, xuhui)
    assert kinds_of(xuhui_approver) == {}
    login(client, auditor)
    assert '"/inbox/"' not in client.get(reverse("home")).content.decode()


def test_district_approver_and_clerk(
    client, pudong, district_clerk, district_approver, municipal_clerk
):
    # A MICRO project waits for the district approver; a returned one for the clerk.
    micro = make_project(district_clerk, code="W_STRUCTURE", amounts={"COD": "0.05"})
    returned = make_project(district_clerk, code="W_STRUCTURE", amounts={"COD": "0.04"})
    reduction_services.act(
        project=returned, user=district_approver, action="return", comment="请补充监测报告"
    )
    fund(pudong, "NOX", "5", user=municipal_clerk)
    use = construction(district_clerk, pudong, NOX="1")
    allocation_services.request_use(
        project=use, user=district_clerk, lines=[(pudong, "NOX", Decimal("1"))]
    )
    assert kinds_of(district_approver) == {"reviews": 1, "use_requests": 1}
    assert kinds_of(district_clerk) == {"returned": 1}
    login(client, district_clerk)
    page = client.get(reverse("inbox")).content.decode()
    assert nav_inbox_label(page) == "待我处理 (1)"
    assert f'href="{reverse("reductions:detail", args=[returned.pk])}"' in page
    assert f'href="{reverse("reductions:detail", args=[micro.pk])}"' not in page


def test_returned_round_waits_for_the_municipal_clerk(
    municipal_clerk, municipal_approver, district_clerk
):
    round_ = allocation_services.draft_round(
        plan_period=PlanPeriod.objects.get(code="14FYP"),
        as_of=timezone.localdate(),
        user=municipal_clerk,
    )
    allocation_services.submit_round(round_=round_, user=municipal_clerk)
    assert kinds_of(municipal_approver) == {"rounds": 1}
    allocation_services.return_round(round_=round_, approver=municipal_approver, comment="重算")
    assert kinds_of(municipal_approver) == {}
    assert kinds_of(municipal_clerk) == {"returned_rounds": 1}
    [item] = inbox.items(municipal_clerk)
    assert item.detail == "重算"


def test_oldest_first_with_age(client, municipal_approver, waiting_for_municipal_approver):
    w = waiting_for_municipal_approver
    age(w["trades"], 3, "proposed_at")
    age(w["adjustments"], 10, "proposed_at")
    age(w["reserve_intakes"], 1, "proposed_at")
    Project.objects.filter(pk=w["reviews"].pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=5)
    )
    items = inbox.items(municipal_approver)
    assert [i.kind.code for i in items[:4]] == [
        "adjustments",
        "reviews",
        "trades",
        "reserve_intakes",
    ]
    login(client, municipal_approver)
    page = client.get(reverse("inbox")).content.decode()
    rows = re.findall(r"<tr><td class=\"nowrap\"><strong>([^<]*)</strong>", page)
    assert rows[:4] == ["10 天", "5 天", "3 天", "1 天"]
    assert rows[-1] == "今天"


def test_english_inbox(en_client, municipal_approver, waiting_for_municipal_approver):
    age(waiting_for_municipal_approver["trades"], 3, "proposed_at")
    login(en_client, municipal_approver)
    page = en_client.get(reverse("inbox")).content.decode()
    assert nav_inbox_label(page) == "My inbox (7)"
    assert "3 days" in page
    assert "Trade records to confirm" in page


@pytest.mark.parametrize(
    "role", ["municipal_approver", "district_approver", "municipal_clerk", "district_clerk"]
)
def test_counts_take_a_bounded_number_of_queries(
    request, role, django_assert_max_num_queries, waiting_for_municipal_approver, pudong, bureau
):
    user = request.getfixturevalue(role)
    user = type(user).objects.get(pk=user.pk)  # roles not yet read
    with django_assert_max_num_queries(12):
        before = inbox.total(inbox.counts(user))
    # More of every kind does not cost more queries.
    clerk = UserFactory(entity=bureau, roles=[Role.MUNICIPAL_CLERK])
    for n in range(5):
        ledger_services.propose_adjustment(
            account=ledger_services.entity_account(pudong, "COD"),
            amount=str(n + 1),
            reason="x",
            user=clerk,
        )
        approved = ledger_services.propose_adjustment(
            account=ledger_services.entity_account(pudong, "NOX"),
            amount="1",
            reason="y",
            user=clerk,
        )
        other = UserFactory(entity=bureau, roles=[Role.MUNICIPAL_APPROVER])
        posted = ledger_services.approve_adjustment(proposal=approved, approver=other, comment="")
        ledger_services.propose_correction(
            action="reverse_transaction", record=posted, reason="z", user=clerk
        )
    user = type(user).objects.get(pk=user.pk)
    with django_assert_max_num_queries(12):
        after = inbox.total(inbox.counts(user))
    if role == "municipal_approver":
        assert after == before + 10
    assert Correction.objects.count() == 6
    assert AdjustmentProposal.objects.filter(status="PROPOSED").count() == 6
    assert (
        TradeRecord.objects.count()
        == ReserveIntake.objects.count()
        == AllocationRound.objects.count()
        == 1
    )


def test_the_navigation_counts_are_cached_until_a_workflow_record_changes(
    municipal_approver, waiting_for_municipal_approver, bureau, pudong, django_assert_num_queries
):
    first = inbox.cached_counts(municipal_approver)
    assert inbox.total(first) > 0
    with django_assert_num_queries(0):
        again = inbox.cached_counts(municipal_approver)
    assert [(c.kind.code, c.count) for c in again] == [(c.kind.code, c.count) for c in first]

    # A new waiting adjustment shows at once on the approver's next page.
    clerk = UserFactory(entity=bureau, roles=[Role.MUNICIPAL_CLERK])
    ledger_services.propose_adjustment(
        account=ledger_services.entity_account(pudong, "COD"), amount="1", reason="x", user=clerk
    )
    assert inbox.total(inbox.cached_counts(municipal_approver)) == inbox.total(first) + 1
    assert inbox.total(inbox.cached_counts(municipal_approver)) == inbox.total(
        inbox.counts(municipal_approver)
    )


def test_a_change_committed_elsewhere_invalidates_every_cached_count(municipal_approver):
    before = inbox._generation()
    inbox.workflow_changed(sender=AdjustmentProposal)
    assert inbox._generation() > before
    unrelated = inbox._generation()
    inbox.workflow_changed(sender=type("Other", (), {"_meta": type("M", (), {"app_label": "x"})}))
    assert inbox._generation() == unrelated

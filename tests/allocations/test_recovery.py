"""Recovery after a revoked certification (追回, DESIGN.md §5), on the hand-computed case:
target 10, KEY 14 certified → a round gives 4; revoking a KEY project of 3 → the next round
recovers 3; with only 1 available it recovers 1 and 2 stay owed; a later certification of 5
nets the owed 2 and gives 3."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations import selectors, services
from allocations.models import LineKind, RoundStatus
from ledger import services as ledger_services
from ledger.models import Correction, Role, Transaction
from tests.factories import UserFactory, correct

from .conftest import available, balance, construction, run_round, set_target

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def revokers(bureau):
    """Two municipal approvers who took no step of the projects: one proposes, one approves."""
    return (
        UserFactory(entity=bureau, roles=[Role.MUNICIPAL_APPROVER], username="revoke_a"),
        UserFactory(entity=bureau, roles=[Role.MUNICIPAL_APPROVER], username="revoke_b"),
    )


@pytest.fixture
def first_round(pudong, period, certify_key, municipal_clerk, municipal_approver):
    """Target 10; KEY 11 and KEY 3 certified (14): the first round gives 4."""
    big = certify_key("11")
    small = certify_key("3")
    set_target(pudong, period, "10", municipal_clerk)
    round_ = run_round(period, municipal_clerk, municipal_approver)
    assert [(line.kind, line.amount) for line in round_.lines.all()] == [
        (LineKind.ALLOCATION, D("4"))
    ]
    assert balance(pudong) == D("4")
    return big, small


def cod(period, entity):
    rows = selectors.progress(period=period, as_of=timezone.localdate(), entities=[entity])
    return next(r for r in rows if r.pollutant == "COD")


def use_cod(owner, amount, clerk, approver, eia):
    """A construction project of ``owner`` uses ``amount`` t of its COD."""
    project = construction(clerk, owner, eia=eia, COD=amount)
    services.request_use(project=project, user=clerk, lines=[(owner, "COD", D(amount))])
    return services.approve_use(project=project, user=approver)


def test_revoked_key_project_is_recovered_in_full(
    pudong, period, first_round, revokers, municipal_clerk, municipal_approver
):
    _big, small = first_round
    correct("revoke_certification", small, proposer=revokers[0], approver=revokers[1])
    row = cod(period, pudong)
    assert (row.key, row.due, row.allocated, row.owed, row.recover) == (
        D("11"),
        D("1"),
        D("4"),
        D("3"),
        D("3"),
    )
    second = run_round(period, municipal_clerk, municipal_approver)
    line = second.lines.get()
    assert (line.kind, line.proposed, line.available, line.owed_after) == (
        LineKind.RECOVERY,
        D("3"),
        D("4"),
        D("0"),
    )
    assert balance(pudong) == D("1")
    txn = line.transaction
    assert txn.kind == "RECOVERY"
    assert {e.account.entity_id: e.amount for e in txn.entries.select_related("account")} == {
        pudong.pk: D("-3"),
        None: D("3"),  # back to the national allocation pool
    }
    row = cod(period, pudong)
    assert (row.allocated, row.due, row.owed, row.give) == (D("1"), D("1"), 0, 0)
    # Nothing more is recovered or given by a further round.
    third = services.draft_round(
        plan_period=period, as_of=timezone.localdate(), user=municipal_clerk
    )
    assert not third.lines.exists()


def test_what_cannot_be_recovered_stays_owed_and_is_netted_later(
    client_for,
    pudong,
    period,
    first_round,
    certify_key,
    revokers,
    district_clerk,
    district_approver,
    municipal_clerk,
    municipal_approver,
):
    _big, small = first_round
    use_cod(pudong, "3", district_clerk, district_approver, eia="E-USE-1")
    assert available(pudong) == D("1")
    correct("revoke_certification", small, proposer=revokers[0], approver=revokers[1])
    second = run_round(period, municipal_clerk, municipal_approver)
    line = second.lines.get()
    assert (line.kind, line.amount, line.available, line.owed_after) == (
        LineKind.RECOVERY,
        D("1"),
        D("1"),
        D("2"),
    )
    assert balance(pudong) == 0
    row = cod(period, pudong)
    assert (row.due, row.allocated, row.owed, row.give) == (D("1"), D("3"), D("2"), 0)

    # The owed 2 t are shown on the progress page and on the round page.
    progress = client_for(district_clerk).get(
        reverse("allocations:progress", args=[pudong.code]), {"plan_period": period.pk}
    )
    page = progress.content.decode()
    assert "欠量（待追回）" in page and '<span class="negative">2.000</span>' in page
    round_page = client_for(municipal_clerk).get(reverse("allocations:round", args=[second.pk]))
    page = round_page.content.decode()
    assert "本批次后仍欠" in page and "追回" in page
    assert "浦东新区 · 化学需氧量（COD）: 2.000 吨" in page
    overview = client_for(municipal_clerk).get(
        reverse("allocations:overview"), {"plan_period": period.pk}
    )
    assert "−2.000" in overview.content.decode()

    # A later certification of 5 nets the owed 2 and gives 3.
    certify_key("5")
    row = cod(period, pudong)
    assert (row.key, row.due, row.allocated, row.give, row.owed) == (
        D("16"),
        D("6"),
        D("3"),
        D("3"),
        0,
    )
    third = run_round(period, municipal_clerk, municipal_approver)
    assert [(line.kind, line.amount) for line in third.lines.all()] == [
        (LineKind.ALLOCATION, D("3"))
    ]
    assert balance(pudong) == D("3")


def test_revoke_page_shows_what_will_be_recovered(
    client_for, pudong, first_round, revokers, district_clerk, district_approver
):
    _big, small = first_round
    use_cod(pudong, "3", district_clerk, district_approver, eia="E-USE-2")
    page = client_for(revokers[0]).get(
        reverse("ledger:correction_new", args=["revoke_certification", small.pk])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "COD：浦东新区 应分配量 4.000 吨 → 1.000 吨；已分配（净额）4.000 吨。" in text
    assert "下一分配批次将追回 1.000 吨（现可用 1.000 吨）。" in text
    assert "2.000 吨目前无法追回：仍记为欠量，在以后的分配中抵扣。" in text


def test_revoke_page_for_a_project_still_covered_says_nothing_is_recovered(
    client_for, pudong, period, certify_key, revokers, municipal_clerk, municipal_approver
):
    certify_key("15")
    small = certify_key("3")
    set_target(pudong, period, "10", municipal_clerk)
    run_round(period, municipal_clerk, municipal_approver)  # gives 8
    certify_key("4")  # 4 more due, not yet allocated
    text = (
        client_for(revokers[0])
        .get(reverse("ledger:correction_new", args=["revoke_certification", small.pk]))
        .content.decode()
    )
    assert "无需追回；仍应分配 1.000 吨。" in text  # due 12 → 9, allocated 8


def test_approval_refused_when_less_is_available_than_the_recovery_line_takes(
    client_for,
    pudong,
    period,
    first_round,
    revokers,
    district_clerk,
    district_approver,
    municipal_clerk,
    municipal_approver,
):
    """Chosen rule: the approver approves exactly what was drafted. When the entity's
    available quota fell after drafting, approval is refused naming the entity and both
    figures; the round goes back so the clerk lowers the line."""
    _big, small = first_round
    correct("revoke_certification", small, proposer=revokers[0], approver=revokers[1])
    round_ = services.draft_round(
        plan_period=period, as_of=timezone.localdate(), user=municipal_clerk
    )
    services.submit_round(round_=round_, user=municipal_clerk)
    use_cod(pudong, "2", district_clerk, district_approver, eia="E-USE-3")
    with pytest.raises(services.AllocationError) as refused:
        services.approve_round(round_=round_, approver=municipal_approver)
    assert refused.value.code == "recovery_exceeds_available"
    approver = client_for(municipal_approver)
    response = approver.post(
        reverse("allocations:round_act", args=[round_.pk, "approve"]), follow=True
    )
    assert "浦东新区 COD：应追回 3.000 吨，现可用 2.000 吨" in response.content.decode()
    round_.refresh_from_db()
    assert round_.status == RoundStatus.SUBMITTED and balance(pudong) == D("2")
    assert not Transaction.objects.filter(kind="RECOVERY").exists()

    services.return_round(round_=round_, approver=municipal_approver, comment="可用量不足")
    services.adjust_line(
        line=round_.lines.get(), amount="2", reason="按现可用量追回", user=municipal_clerk
    )
    services.submit_round(round_=round_, user=municipal_clerk)
    services.approve_round(round_=round_, approver=municipal_approver)
    assert balance(pudong) == 0
    assert cod(period, pudong).owed == D("1")


def test_revoking_a_round_reverses_its_recovery_lines(
    pudong,
    period,
    first_round,
    revokers,
    municipal_clerk,
    municipal_approver,
    second_approver,
):
    _big, small = first_round
    correct("revoke_certification", small, proposer=revokers[0], approver=revokers[1])
    second = run_round(period, municipal_clerk, municipal_approver)
    recovery = second.lines.get().transaction
    with pytest.raises(ledger_services.PostingOwned, match="只能通过该记录更正（撤销分配批次）"):
        ledger_services.propose_correction(
            action="reverse_transaction", record=recovery, reason="x", user=municipal_approver
        )
    with pytest.raises(ledger_services.PostingOwned):
        ledger_services.reverse(
            original=recovery, reason="x", user=municipal_clerk, approver=municipal_approver
        )
    correct("revoke_round", second, proposer=municipal_approver, approver=second_approver)
    second.refresh_from_db()
    assert second.status == RoundStatus.REVOKED
    assert balance(pudong) == D("4")
    assert Transaction.objects.get(reverses=recovery).kind == "REVERSAL"
    assert cod(period, pudong).owed == D("3")


def test_revoke_round_preview_names_recovery_lines(
    client_for, pudong, period, first_round, revokers, municipal_clerk, municipal_approver
):
    _big, small = first_round
    correct("revoke_certification", small, proposer=revokers[0], approver=revokers[1])
    second = run_round(period, municipal_clerk, municipal_approver)
    text = (
        client_for(municipal_approver)
        .get(reverse("ledger:correction_new", args=["revoke_round", second.pk]))
        .content.decode()
    )
    assert "退还浦东新区化学需氧量（COD） 3.000 吨（冲正追回" in text
    assert not Correction.objects.filter(action="revoke_round").exists()  # a GET proposes nothing


def test_progress_with_something_owed_takes_one_more_query(
    pudong, period, first_round, revokers, django_assert_max_num_queries
):
    _big, small = first_round
    correct("revoke_certification", small, proposer=revokers[0], approver=revokers[1])
    with django_assert_max_num_queries(6):
        rows = selectors.progress(period=period, as_of=timezone.localdate())
    assert sum(1 for r in rows if r.owed) == 1

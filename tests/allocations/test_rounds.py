"""The §5 formula on hand-computed cases, four-eyes, idempotent approval, revoke."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from allocations import selectors, services
from allocations.models import AllocationPolicy, RoundStatus
from ledger import services as ledger_services
from ledger.models import Transaction
from reductions import services as reduction_services
from reductions.models import PlanPeriod
from tests.factories import correct, file_bundle, make_project

D = Decimal
pytestmark = pytest.mark.django_db
# Small-package and micro reductions count from their certification, which tests do today.
AS_OF = timezone.localdate()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def period():
    return PlanPeriod.objects.get(code="14FYP")


@pytest.fixture
def certify(district_clerk, district_approver, municipal_approver, municipal_clerk):
    """Certify a district project of the given tier and amount (COD) on a date."""

    def run(amount: str, *, national_date=None, pollutant="COD"):
        national_date = national_date or AS_OF - datetime.timedelta(days=30)
        project = make_project(district_clerk, amounts={pollutant: amount})
        act = reduction_services.act
        if project.tier == "KEY":
            project = act(project=project, user=district_approver, action="approve")
            project = act(project=project, user=municipal_approver, action="approve")
            return act(
                project=project,
                user=municipal_clerk,
                action="approve",
                document_number="N-1",
                document_date=national_date,
            )
        if project.tier == "PACKAGE":
            project = act(project=project, user=district_approver, action="approve")
            file_bundle(project, clerk=district_clerk, approver=district_approver)
            return act(project=project, user=municipal_approver, action="approve")
        raise AssertionError(project.tier)

    return run


def target(entity, period, amount, user, pollutant="COD"):
    return services.set_target(
        entity=entity,
        plan_period=period,
        pollutant=pollutant,
        amount=amount,
        reason="规划",
        user=user,
    )


def run_round(period, clerk, approver, as_of=AS_OF):
    round_ = services.draft_round(plan_period=period, as_of=as_of, user=clerk)
    services.submit_round(round_=round_, user=clerk)
    return services.approve_round(round_=round_, approver=approver)


def cod_row(rows, entity):
    return next(r for r in rows if r.entity == entity and r.pollutant == "COD")


def cod(entity):
    return ledger_services.entity_account(entity, "COD").balance


def lines(round_):
    return {
        (line.entity.code, line.pollutant): line.amount
        for line in round_.lines.select_related("entity")
    }


def test_target_not_met_gives_nothing(pudong, period, municipal_clerk, certify):
    certify("8")  # KEY 8 t
    certify("2")  # PACKAGE 2 t
    target(pudong, period, "10", municipal_clerk)
    row = next(
        r
        for r in selectors.progress(period=period, as_of=AS_OF)
        if r.entity == pudong and r.pollutant == "COD"
    )
    assert (row.key, row.package, row.target, row.met, row.due) == (
        D("8"),
        D("2"),
        D("10"),
        False,
        0,
    )
    round_ = services.draft_round(plan_period=period, as_of=AS_OF, user=municipal_clerk)
    assert not round_.lines.exists()


def test_met_gives_surplus_plus_package(
    pudong, period, municipal_clerk, municipal_approver, certify
):
    certify("12")  # KEY
    certify("2.5")  # PACKAGE
    target(pudong, period, "10", municipal_clerk)
    round_ = run_round(period, municipal_clerk, municipal_approver)
    assert lines(round_) == {("310115", "COD"): D("4.5")}  # (12 − 10) + 2.5
    assert cod(pudong) == D("4.5")
    txn = round_.lines.get().transaction
    assert (txn.kind, txn.posted_by_id, txn.approved_by_id) == (
        "ALLOCATION",
        municipal_clerk.pk,
        municipal_approver.pk,
    )


def test_second_round_gives_only_the_increment(
    pudong, period, municipal_clerk, municipal_approver, certify
):
    certify("12")
    target(pudong, period, "10", municipal_clerk)
    run_round(period, municipal_clerk, municipal_approver)
    certify("3")  # PACKAGE after the first round
    second = run_round(period, municipal_clerk, municipal_approver)
    assert lines(second) == {("310115", "COD"): D("3")}
    assert cod(pudong) == D("5")


def test_lowered_line_then_later_round_gives_the_rest(
    pudong, period, municipal_clerk, municipal_approver, certify
):
    certify("15")
    target(pudong, period, "10", municipal_clerk)
    round_ = services.draft_round(plan_period=period, as_of=AS_OF, user=municipal_clerk)
    line = round_.lines.get()
    with pytest.raises(services.AllocationError, match="can only be lowered"):
        services.adjust_line(line=line, amount="6", reason="x", user=municipal_clerk)
    with pytest.raises(services.AllocationError, match="Say why"):
        services.adjust_line(line=line, amount="2", reason="", user=municipal_clerk)
    services.adjust_line(line=line, amount="2", reason="预留", user=municipal_clerk)
    services.submit_round(round_=round_, user=municipal_clerk)
    services.approve_round(round_=round_, approver=municipal_approver)
    assert cod(pudong) == D("2")
    later = run_round(period, municipal_clerk, municipal_approver)
    assert lines(later) == {("310115", "COD"): D("3")}
    assert cod(pudong) == D("5")


def test_revoke_then_rerun(
    pudong, period, municipal_clerk, municipal_approver, second_approver, certify
):
    certify("12")
    target(pudong, period, "10", municipal_clerk)
    round_ = run_round(period, municipal_clerk, municipal_approver)
    with pytest.raises(ledger_services.LedgerError, match="Say why"):
        correct(
            "revoke_round", round_, proposer=municipal_approver, approver=second_approver, reason=""
        )
    correction = ledger_services.propose_correction(
        action="revoke_round", record=round_, reason="目标录入错误", user=municipal_approver
    )
    round_.refresh_from_db()
    assert round_.status == RoundStatus.APPROVED and cod(pudong) == D("2")
    with pytest.raises(ledger_services.FourEyesViolation):
        ledger_services.approve_correction(correction=correction, user=municipal_approver)
    ledger_services.approve_correction(correction=correction, user=second_approver)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.REVOKED
    assert cod(pudong) == 0
    reversal = Transaction.objects.get(kind="REVERSAL")
    assert (reversal.posted_by, reversal.approved_by) == (municipal_approver, second_approver)
    rerun = run_round(period, municipal_clerk, municipal_approver)
    assert lines(rerun) == {("310115", "COD"): D("2")}
    assert cod(pudong) == D("2")


def test_a_line_cannot_be_reversed_bare_only_through_its_round(
    pudong, period, municipal_clerk, municipal_approver, certify
):
    certify("12")
    target(pudong, period, "10", municipal_clerk)
    round_ = run_round(period, municipal_clerk, municipal_approver)
    line_txn = round_.lines.get().transaction
    with pytest.raises(ledger_services.PostingOwned, match="Revoke the allocation round"):
        ledger_services.propose_correction(
            action="reverse_transaction", record=line_txn, reason="x", user=municipal_approver
        )
    with pytest.raises(ledger_services.PostingOwned):
        ledger_services.reverse(
            original=line_txn, reason="x", user=municipal_clerk, approver=municipal_approver
        )
    assert cod(pudong) == D("2")


def test_revoke_refused_when_quota_was_used(
    pudong, period, municipal_clerk, municipal_approver, second_approver, certify
):
    certify("12")
    target(pudong, period, "10", municipal_clerk)
    round_ = run_round(period, municipal_clerk, municipal_approver)
    hold = ledger_services.place_hold(
        account=ledger_services.entity_account(pudong, "COD"),
        amount="1.5",
        user=municipal_clerk,
        reason="EIA",
    )
    ledger_services.consume_hold(hold=hold, user=municipal_clerk)
    with pytest.raises(ledger_services.LedgerError, match="Insufficient"):
        correct("revoke_round", round_, proposer=municipal_approver, approver=second_approver)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.APPROVED
    assert cod(pudong) == D("0.5")


def test_key_counts_from_the_national_date(pudong, period, municipal_clerk, certify):
    national = AS_OF - datetime.timedelta(days=10)
    certify("12", national_date=national)
    target(pudong, period, "10", municipal_clerk)
    before = selectors.progress(period=period, as_of=national - datetime.timedelta(days=1))
    after = selectors.progress(period=period, as_of=national)
    assert cod_row(before, pudong).key == 0 and cod_row(after, pudong).key == D("12")


def test_policy_counting_package_towards_the_target(pudong, period, municipal_clerk, certify):
    certify("9")  # KEY
    certify("2")  # PACKAGE
    target(pudong, period, "10", municipal_clerk)
    strict = AllocationPolicy.objects.get()
    assert not cod_row(selectors.progress(period=period, as_of=AS_OF, policy=strict), pudong).met
    lenient = AllocationPolicy(effective_from=datetime.date(2026, 1, 1), met_counts_package=True)
    row = cod_row(selectors.progress(period=period, as_of=AS_OF, policy=lenient), pudong)
    assert row.met and row.due == D("1")


def test_policy_all_pollutants_must_be_met(pudong, period, municipal_clerk, certify):
    certify("12")
    target(pudong, period, "10", municipal_clerk)
    target(pudong, period, "5", municipal_clerk, pollutant="NOX")
    policy = AllocationPolicy(
        effective_from=datetime.date(2026, 1, 1), all_pollutants_must_be_met=True
    )
    rows = [
        r
        for r in selectors.progress(period=period, as_of=AS_OF, policy=policy)
        if r.entity == pudong
    ]
    assert not any(r.met for r in rows)


def test_four_eyes_and_double_approval(
    pudong, period, make_user, bureau, municipal_clerk, municipal_approver, certify
):
    from ledger.models import Role

    certify("12")
    target(pudong, period, "10", municipal_clerk)
    both = make_user(Role.MUNICIPAL_CLERK, bureau)
    ledger_services.set_roles(user=both, roles=[Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER])
    round_ = services.draft_round(plan_period=period, as_of=AS_OF, user=both)
    services.submit_round(round_=round_, user=both)
    with pytest.raises(services.AllocationError, match="another municipal approver"):
        services.approve_round(round_=round_, approver=both)
    with pytest.raises(services.AllocationError, match="permission"):
        services.approve_round(round_=round_, approver=municipal_clerk)
    services.approve_round(round_=round_, approver=municipal_approver)
    services.approve_round(round_=round_, approver=municipal_approver)
    assert Transaction.objects.filter(kind="ALLOCATION").count() == 1
    assert cod(pudong) == D("2")


def test_only_one_open_round_per_period(period, municipal_clerk):
    services.draft_round(plan_period=period, as_of=AS_OF, user=municipal_clerk)
    with pytest.raises(services.AllocationError, match="still open"):
        services.draft_round(plan_period=period, as_of=AS_OF, user=municipal_clerk)


def test_return_sends_the_round_back_to_draft(period, municipal_clerk, municipal_approver):
    round_ = services.draft_round(plan_period=period, as_of=AS_OF, user=municipal_clerk)
    services.submit_round(round_=round_, user=municipal_clerk)
    with pytest.raises(services.AllocationError, match="Say why"):
        services.return_round(round_=round_, approver=municipal_approver, comment="")
    assert (
        services.return_round(round_=round_, approver=municipal_approver, comment="核对").status
        == "DRAFT"
    )


def test_targets_keep_their_history(pudong, period, municipal_clerk, district_clerk):
    with pytest.raises(services.AllocationError):
        target(pudong, period, "10", district_clerk)
    target(pudong, period, "10", municipal_clerk)
    with pytest.raises(services.AllocationError, match="Say why"):
        services.set_target(
            entity=pudong,
            plan_period=period,
            pollutant="COD",
            amount="9",
            reason="",
            user=municipal_clerk,
        )
    changed = services.set_target(
        entity=pudong,
        plan_period=period,
        pollutant="COD",
        amount="9",
        reason="国家下达调整",
        user=municipal_clerk,
    )
    history = list(changed.changes.values_list("old_amount", "new_amount", "reason"))
    assert history == [(D("10"), D("9"), "国家下达调整"), (None, D("10"), "规划")]


def test_progress_takes_a_bounded_number_of_queries(
    pudong, period, municipal_clerk, certify, django_assert_max_num_queries
):
    for amount in ("12", "2", "3"):
        certify(amount)
    target(pudong, period, "10", municipal_clerk)
    with django_assert_max_num_queries(5):
        rows = selectors.progress(period=period, as_of=AS_OF)
    assert len(rows) == 4 * 18  # 16 districts and 2 committees, four pollutants each

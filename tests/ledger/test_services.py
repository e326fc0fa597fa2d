import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation

from ledger import audit, selectors, services
from ledger.models import (
    Account,
    AdjustmentStatus,
    Entry,
    Hold,
    HoldStatus,
    SystemAccountKind,
    Transaction,
    TransactionKind,
)
from ledger.services import Leg
from tests.factories import as_committed, fund, reconciled, transfer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("posting_path")]

D = Decimal


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@contextmanager
def tampered():
    """Bypass the services on purpose, then roll back: on PostgreSQL the triggers would
    refuse such a write at commit (and at test teardown)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def balance(entity, pollutant="COD") -> Decimal:
    return services.entity_account(entity, pollutant).balance


def use(entity, amount, user, key, pollutant="COD"):
    return services.post(
        kind=TransactionKind.USE,
        legs=[
            Leg(services.entity_account(entity, pollutant), -D(amount)),
            Leg(services.system_account(SystemAccountKind.CONSUMPTION, pollutant), D(amount)),
        ],
        idempotency_key=key,
        user=user,
    )


def test_post_moves_quota_and_keeps_running_balances(pudong, municipal_clerk):
    fund(pudong, "COD", "10.500", user=municipal_clerk, key="a")
    use(pudong, "2.250", municipal_clerk, "b")
    account = services.entity_account(pudong, "COD")
    assert account.balance == D("8.250")
    assert list(account.entries.values_list("balance_after", flat=True)) == [
        D("10.500"),
        D("8.250"),
    ]
    pool = services.system_account(SystemAccountKind.ALLOCATION_POOL, "COD")
    assert pool.balance == D("-10.500")
    assert reconciled() == []


def test_insufficient_quota_is_refused_with_figures_and_nothing_written(pudong, municipal_clerk):
    fund(pudong, "COD", "1.000", user=municipal_clerk, key="a")
    before = Transaction.objects.count()
    with pytest.raises(services.InsufficientQuota) as refused:
        use(pudong, "1.001", municipal_clerk, "b")
    assert "1.000 t available, 1.001 t requested" in str(refused.value)
    assert Transaction.objects.count() == before
    assert balance(pudong) == D("1.000")


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        (["1.000"], "at least two legs"),
        (["1.000", "-0.999"], "do not sum to zero for COD"),
    ],
)
def test_unbalanced_or_single_leg_postings_are_refused(
    pudong, xuhui, municipal_clerk, amounts, message
):
    accounts = [services.entity_account(pudong, "COD"), services.entity_account(xuhui, "COD")]
    legs = [Leg(a, D(x)) for a, x in zip(accounts, amounts, strict=False)]
    with pytest.raises(services.UnbalancedTransaction, match=message):
        services.post(kind="ADJUSTMENT", legs=legs, idempotency_key="k", user=municipal_clerk)
    assert not Transaction.objects.exists()


def test_same_account_twice_is_refused(pudong, municipal_clerk):
    account = services.entity_account(pudong, "COD")
    with pytest.raises(services.UnbalancedTransaction, match="only once"):
        services.post(
            kind="USE",
            legs=[Leg(account, D("1")), Leg(account, D("-1"))],
            idempotency_key="k",
            user=municipal_clerk,
        )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "not floating point"),
        ("1.0001", "at most three decimal places"),
        ("abc", "is not a number"),
        ("NaN", "is not a number"),
        ("-2", "must be positive"),
        ("0", "must not be zero"),
    ],
)
def test_bad_amounts_are_refused_clearly(pudong, municipal_clerk, value, message):
    with pytest.raises(services.InvalidAmount, match=message):
        services.credit_entity(
            kind="ALLOCATION",
            source="ALLOCATION_POOL",
            entity=pudong,
            pollutant="COD",
            amount=value,
            idempotency_key="k",
            user=municipal_clerk,
        )
    assert not Transaction.objects.exists()


def test_same_idempotency_key_posts_once(pudong, municipal_clerk):
    first = fund(pudong, "NOX", "3", user=municipal_clerk, key="round-1:line-7")
    again = fund(pudong, "NOX", "3", user=municipal_clerk, key="round-1:line-7")
    assert first.pk == again.pk
    assert Transaction.objects.count() == 1
    assert balance(pudong, "NOX") == D("3.000")


def test_closed_account_is_refused(pudong, municipal_clerk):
    account = services.entity_account(pudong, "COD")
    Account.objects.filter(pk=account.pk).update(is_active=False)
    with pytest.raises(services.AccountClosed, match="is closed"):
        fund(pudong, "COD", "1", user=municipal_clerk, key="k")
    assert not Transaction.objects.exists()


def test_reversal_restores_balances_and_cannot_be_repeated_or_reversed(
    pudong, municipal_approver, second_approver
):
    original = fund(pudong, "COD", "4", user=municipal_approver, key="a")
    reversal = services.reverse(
        original=original, reason="wrong entity", user=municipal_approver, approver=second_approver
    )
    assert reversal.kind == TransactionKind.REVERSAL
    assert reversal.reverses_id == original.pk
    assert reversal.memo == "wrong entity"
    assert balance(pudong) == 0
    with pytest.raises(services.DuplicateReversal, match="already been reversed"):
        services.reverse(
            original=original, reason="again", user=municipal_approver, approver=second_approver
        )
    with pytest.raises(services.ReversalNotAllowed, match="cannot itself be reversed"):
        services.reverse(
            original=reversal, reason="undo", user=municipal_approver, approver=second_approver
        )
    with pytest.raises(services.ReversalNotAllowed, match="needs a reason"):
        services.reverse(
            original=fund(pudong, "COD", "1", user=municipal_approver, key="b"),
            reason=" ",
            user=municipal_approver,
            approver=second_approver,
        )


def test_reversal_that_would_overdraw_is_refused(pudong, municipal_approver, second_approver):
    allocation = fund(pudong, "COD", "4", user=municipal_approver, key="a")
    use(pudong, "3", municipal_approver, "b")
    with pytest.raises(services.InsufficientQuota):
        services.reverse(
            original=allocation, reason="mistake", user=municipal_approver, approver=second_approver
        )
    assert balance(pudong) == D("1.000")


def test_hold_reduces_available_and_is_consumed_as_use(pudong, municipal_clerk, municipal_approver):
    fund(pudong, "VOCS", "5", user=municipal_clerk, key="a")
    account = services.entity_account(pudong, "VOCS")
    hold = services.place_hold(
        account=account, amount="3.5", user=municipal_clerk, reason="EIA 2026-001"
    )
    account.refresh_from_db()
    assert (account.balance, account.held, account.available) == (D("5"), D("3.5"), D("1.5"))
    with pytest.raises(services.InsufficientQuota, match=r"1\.500 t available, 2\.000 t requested"):
        services.place_hold(account=account, amount="2", user=municipal_clerk, reason="x")
    assert Hold.objects.count() == 1

    txn = services.consume_hold(hold=hold, user=municipal_clerk, approver=municipal_approver)
    assert txn.kind == TransactionKind.USE
    assert services.consume_hold(hold=hold, user=municipal_clerk).pk == txn.pk
    account.refresh_from_db()
    assert (account.balance, account.held) == (D("1.5"), D("0"))
    hold.refresh_from_db()
    assert hold.status == HoldStatus.CONSUMED and hold.consumed_by_id == txn.pk
    with pytest.raises(services.HoldStateError, match="already resolved"):
        services.release_hold(hold=hold, user=municipal_clerk)
    assert services.system_account("CONSUMPTION", "VOCS").balance == D("3.5")
    assert reconciled() == []


def test_released_hold_gives_quota_back_once(pudong, municipal_clerk):
    fund(pudong, "VOCS", "5", user=municipal_clerk, key="a")
    account = services.entity_account(pudong, "VOCS")
    hold = services.place_hold(account=account, amount="5", user=municipal_clerk, reason="x")
    services.release_hold(hold=hold, user=municipal_clerk)
    services.release_hold(hold=hold, user=municipal_clerk)
    account.refresh_from_db()
    assert (account.balance, account.held) == (D("5"), D("0"))
    with pytest.raises(services.HoldStateError, match="already resolved"):
        services.consume_hold(hold=hold, user=municipal_clerk)
    assert not Transaction.objects.filter(kind="USE").exists()


def test_hold_is_refused_on_system_accounts(municipal_clerk):
    pool = services.system_account("ALLOCATION_POOL", "COD")
    with pytest.raises(services.LedgerError, match="entity's account"):
        services.place_hold(account=pool, amount="1", user=municipal_clerk, reason="x")


def test_transfer_between_entities_and_its_reversal(
    pudong, xuhui, municipal_clerk, municipal_approver, second_approver
):
    fund(pudong, "NOX", "6", user=municipal_clerk, key="a")
    out, into = transfer(
        seller=pudong,
        buyer=xuhui,
        pollutant="NOX",
        amount="2.5",
        idempotency_key="contract-9",
        user=municipal_clerk,
        reference_text="合同 9",
    )
    assert (out.kind, into.kind) == ("TRADE_OUT", "TRADE_IN")
    assert into.paired_with_id == out.pk
    assert balance(pudong, "NOX") == D("3.5")
    assert balance(xuhui, "NOX") == D("2.5")
    assert services.system_account("TRADING", "NOX").balance == 0
    services.reverse(
        original=into,
        reason="contract cancelled",
        user=municipal_approver,
        approver=second_approver,
    )
    assert balance(pudong, "NOX") == D("6")
    assert balance(xuhui, "NOX") == 0
    assert Transaction.objects.filter(kind="REVERSAL").count() == 2


def test_transfer_beyond_sellers_quota_is_refused_whole(pudong, xuhui, municipal_clerk):
    fund(pudong, "NOX", "1", user=municipal_clerk, key="a")
    with pytest.raises(services.InsufficientQuota):
        transfer(
            seller=pudong,
            buyer=xuhui,
            pollutant="NOX",
            amount="2",
            idempotency_key="c",
            user=municipal_clerk,
        )
    assert not Transaction.objects.filter(kind__startswith="TRADE").exists()


def test_adjustment_needs_a_second_person(pudong, municipal_clerk, municipal_approver):
    account = services.entity_account(pudong, "NH3N")
    proposal = services.propose_adjustment(
        account=account, amount="0.75", reason="opening balance", user=municipal_approver
    )
    with pytest.raises(services.FourEyesViolation, match="another municipal approver"):
        services.approve_adjustment(proposal=proposal, approver=municipal_approver)
    assert balance(pudong, "NH3N") == 0
    other = municipal_clerk
    txn = services.approve_adjustment(proposal=proposal, approver=other)
    assert (txn.posted_by_id, txn.approved_by_id) == (municipal_approver.pk, other.pk)
    assert balance(pudong, "NH3N") == D("0.75")
    proposal.refresh_from_db()
    assert proposal.status == AdjustmentStatus.APPROVED
    with pytest.raises(services.LedgerError, match="already been decided"):
        services.approve_adjustment(proposal=proposal, approver=other)


def test_adjustment_posting_without_approver_is_refused(pudong, municipal_clerk):
    with pytest.raises(services.FourEyesViolation):
        services.post(
            kind="ADJUSTMENT",
            legs=[
                Leg(services.entity_account(pudong, "COD"), D("1")),
                Leg(services.system_account("ADJUSTMENT", "COD"), D("-1")),
            ],
            idempotency_key="k",
            user=municipal_clerk,
            approver=municipal_clerk,
        )


def test_rejected_adjustment_posts_nothing(pudong, municipal_clerk, municipal_approver):
    proposal = services.propose_adjustment(
        account=services.entity_account(pudong, "COD"),
        amount="-1",
        reason="r",
        user=municipal_clerk,
    )
    with pytest.raises(services.LedgerError, match="Say why"):
        services.reject_adjustment(proposal=proposal, approver=municipal_approver, comment="")
    services.reject_adjustment(
        proposal=proposal, approver=municipal_approver, comment="no evidence"
    )
    proposal.refresh_from_db()
    assert proposal.status == AdjustmentStatus.REJECTED
    assert not Transaction.objects.exists()


def test_balance_as_of_and_statement_running_balance(pudong, municipal_clerk):
    import datetime

    account = services.entity_account(pudong, "COD")
    pool = services.system_account("ALLOCATION_POOL", "COD")
    for day, amount in [(1, "5"), (3, "2"), (2, "1")]:
        services.post(
            kind="ALLOCATION",
            legs=[Leg(pool, -D(amount)), Leg(account, D(amount))],
            idempotency_key=f"d{day}",
            user=municipal_clerk,
            effective_date=datetime.date(2026, 3, day),
        )
    assert selectors.balance_as_of(account, datetime.date(2026, 2, 28)) == 0
    assert selectors.balance_as_of(account, datetime.date(2026, 3, 2)) == D("6")
    opening, entries = selectors.statement_entries(
        account, datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)
    )
    assert opening == D("5")
    assert [(e.effective_date.day, e.running) for e in entries] == [(2, D("6")), (3, D("8"))]


def test_reconcile_reports_a_tampered_balance(pudong, municipal_clerk):
    fund(pudong, "COD", "1", user=municipal_clerk, key="a")
    as_committed()
    call_command("reconcile_ledger")
    with tampered():
        Account.objects.filter(entity=pudong, pollutant="COD").update(balance=D("9"))
        findings = audit.reconcile()
        assert [f.check for f in findings] == ["balance_mismatch", "not_net_zero"]
        assert "stored balance 9.000, legs sum to 1.000" in findings[0].message
        with pytest.raises(CommandError, match="2 finding"):
            call_command("reconcile_ledger")


def test_reconcile_task_counts_mismatches(pudong, municipal_clerk):
    from ledger.tasks import reconcile_ledger

    fund(pudong, "COD", "1", user=municipal_clerk, key="a")
    as_committed()
    assert reconcile_ledger.delay().get() == 0
    with tampered():
        Account.objects.filter(entity=pudong, pollutant="COD").update(held=D("0.5"))
        assert reconcile_ledger.delay().get() == 1


def test_entry_has_no_zero_amount_and_sums_per_pollutant(pudong, municipal_clerk):
    fund(pudong, "COD", "1", user=municipal_clerk, key="a")
    fund(pudong, "NOX", "2", user=municipal_clerk, key="b")
    totals = Entry.objects.values("pollutant").annotate(total=Sum("amount"))
    assert {row["pollutant"]: row["total"] for row in totals} == {"COD": 0, "NOX": 0}


def test_an_expired_hold_is_refused_on_use_and_expires_once(pudong, municipal_clerk):
    fund(pudong, "NOX", "5", user=municipal_clerk, key="a")
    account = services.entity_account(pudong, "NOX")
    past = timezone.now() - datetime.timedelta(minutes=1)
    hold = services.place_hold(
        account=account, amount="2", user=municipal_clerk, reason="EIA", expires_at=past
    )
    with pytest.raises(services.HoldExpired, match="expired on") as refused:
        services.consume_hold(hold=hold, user=municipal_clerk)
    assert refused.value.code == "hold_expired"
    services.expire_hold(hold=hold)
    assert services.expire_hold(hold=hold).status == HoldStatus.EXPIRED  # once only
    account.refresh_from_db()
    assert (account.balance, account.held) == (D("5"), D("0"))
    with pytest.raises(services.HoldStateError, match="already resolved"):
        services.release_hold(hold=hold, user=municipal_clerk)
    assert not Transaction.objects.filter(kind="USE").exists()


def test_a_hold_without_deadline_never_expires(pudong, municipal_clerk):
    fund(pudong, "NOX", "5", user=municipal_clerk, key="a")
    hold = services.place_hold(
        account=services.entity_account(pudong, "NOX"), amount="1", user=municipal_clerk, reason="x"
    )
    assert hold.expires_at is None and not hold.is_expired()


def test_an_empty_batch_posts_nothing(municipal_clerk):
    # A round whose every line was lowered to zero approves with nothing to post.
    assert services.post_batch(postings=[], user=municipal_clerk) == []
    assert not Transaction.objects.exists()


@pytest.mark.postgres
def test_a_posting_is_one_round_trip_on_postgresql(posting_path, pudong, municipal_clerk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = services.entity_account(pudong, "COD")
    source = services.system_account(SystemAccountKind.ALLOCATION_POOL, "COD")
    with CaptureQueriesContext(connection) as queries:
        txn = services.post(
            kind=TransactionKind.ALLOCATION,
            legs=[Leg(source, D("-1")), Leg(account, D("1"))],
            idempotency_key="one-trip",
            user=municipal_clerk,
        )
    statements = [
        q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    if posting_path == "server":
        assert len(statements) == 1 and "ledger_post(" in statements[0]
    else:
        assert len(statements) > 1
    assert Transaction.objects.get(pk=txn.pk).idempotency_key == "one-trip"
    assert {e.account_id: e.balance_after for e in txn.entries.all()} == {
        account.pk: D("1"),
        source.pk: source.balance - 1,
    }
    account.refresh_from_db()
    assert account.balance == D("1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_posting_outside_a_transaction_opens_none_on_postgresql(
    posting_path, monkeypatch, municipal_clerk
):
    """Outside a transaction, ledger_post() runs as a statement of its own: no BEGIN and
    COMMIT round trips. A refusal there still writes nothing."""
    from django.db import connection

    from tests.factories import EntityFactory

    entity = EntityFactory(kind="DISTRICT")
    fund(entity, "COD", "2.000", user=municipal_clerk, key="fund")
    account = services.entity_account(entity, "COD")
    sink = services.system_account(SystemAccountKind.CONSUMPTION, "COD")

    def use_once(amount, key):
        legs = [Leg(account, -D(amount)), Leg(sink, D(amount))]
        return services.post(kind="USE", legs=legs, idempotency_key=key, user=municipal_clerk)

    switches = []
    original = connection.set_autocommit
    monkeypatch.setattr(
        connection, "set_autocommit", lambda *a, **kw: (switches.append(a), original(*a, **kw))
    )
    txn = use_once("1.500", "first")
    with pytest.raises(services.InsufficientQuota):
        use_once("1.000", "second")
    assert use_once("1.500", "first") == txn
    assert (switches == []) == (posting_path == "server")
    assert list(Transaction.objects.filter(idempotency_key__in=["first", "second"])) == [txn]
    assert balance(entity) == D("0.500")
    assert audit.reconcile() == []

"""The database itself refuses writes that break the ledger (PostgreSQL triggers)."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledger import services
from ledger.models import Account
from tests.factories import fund, transfer

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def immediate() -> None:
    """Deferred constraint triggers fire at COMMIT; tests never commit, so ask for them now."""
    sql("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.fixture
def posted(pudong, municipal_clerk):
    return fund(pudong, "COD", "5", user=municipal_clerk, key="posted")


def test_entries_cannot_be_updated(posted):
    entry = posted.entries.first()
    with pytest.raises(DatabaseError, match="append-only; UPDATE refused"), transaction.atomic():
        sql("UPDATE ledger_entry SET amount = amount + 1 WHERE id = %s", [entry.pk])


def test_entries_cannot_be_deleted(posted):
    with pytest.raises(DatabaseError, match="append-only; DELETE refused"), transaction.atomic():
        sql("DELETE FROM ledger_entry WHERE transaction_id = %s", [posted.pk])


def test_no_session_setting_switches_the_triggers_off(posted):
    """The triggers are plain SQL triggers, not ones a ``pgtrigger.ignore`` setting skips:
    even the owner's session setting it is refused."""
    entry = posted.entries.first()
    for setting in (
        "SET LOCAL pgtrigger.ignore = '{ledger_entry_append_only}'",
        "SET LOCAL pgtrigger.ignore = '{pgtrigger_entry_append_only_9b1f2}'",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(setting)
            sql("UPDATE ledger_entry SET amount = amount + 1 WHERE id = %s", [entry.pk])


def test_transactions_cannot_be_updated_or_deleted(posted):
    with pytest.raises(DatabaseError, match="append-only; UPDATE refused"), transaction.atomic():
        sql("UPDATE ledger_transaction SET memo = 'edited' WHERE id = %s", [posted.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        sql("DELETE FROM ledger_transaction WHERE id = %s", [posted.pk])


def insert_transaction(user_id: int, key: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_transaction (kind, effective_date, memo, idempotency_key,"
            " reference_id, reference_text, posted_by_id, posted_at)"
            " VALUES ('USE', CURRENT_DATE, '', %s, '', '', %s, now()) RETURNING id",
            [key, user_id],
        )
        return cursor.fetchone()[0]


def insert_entry(txn_id: int, account: Account, amount: str, balance_after: str) -> None:
    sql(
        "INSERT INTO ledger_entry (transaction_id, account_id, pollutant, amount,"
        " balance_after, effective_date) VALUES (%s, %s, %s, %s, %s, CURRENT_DATE)",
        [txn_id, account.pk, account.pollutant, amount, balance_after],
    )


def test_unbalanced_insert_is_rejected(pudong, xuhui, municipal_clerk, posted):
    a = services.entity_account(pudong, "COD")
    b = services.entity_account(xuhui, "COD")
    with pytest.raises(IntegrityError, match="do not sum to zero"), transaction.atomic():
        txn = insert_transaction(municipal_clerk.pk, "raw-unbalanced")
        insert_entry(txn, a, "-1.000", "4.000")
        insert_entry(txn, b, "0.500", "0.500")
        sql("UPDATE ledger_account SET balance = 4 WHERE id = %s", [a.pk])
        sql("UPDATE ledger_account SET balance = 0.5 WHERE id = %s", [b.pk])
        immediate()


def test_single_leg_transaction_is_rejected(pudong, municipal_clerk, posted):
    a = services.entity_account(pudong, "COD")
    with pytest.raises(IntegrityError, match="fewer than two legs"), transaction.atomic():
        txn = insert_transaction(municipal_clerk.pk, "raw-one-leg")
        insert_entry(txn, a, "-1.000", "4.000")
        sql("UPDATE ledger_account SET balance = 4 WHERE id = %s", [a.pk])
        immediate()


def test_leg_with_wrong_running_balance_is_rejected(pudong, municipal_clerk, posted):
    a = services.entity_account(pudong, "COD")
    with pytest.raises(IntegrityError, match="running balance"), transaction.atomic():
        txn = insert_transaction(municipal_clerk.pk, "raw-running")
        insert_entry(txn, a, "-1.000", "99.000")


def test_stored_balance_must_equal_the_legs(posted, pudong):
    with pytest.raises(IntegrityError, match="differs from its legs"), transaction.atomic():
        Account.objects.filter(entity=pudong, pollutant="COD").update(balance=Decimal("6"))
        immediate()


def test_held_must_equal_active_holds(posted, pudong):
    with pytest.raises(IntegrityError, match="differs from its active holds"), transaction.atomic():
        Account.objects.filter(entity=pudong, pollutant="COD").update(held=Decimal("1"))
        immediate()


def test_entity_account_cannot_go_negative(pudong):
    account = services.entity_account(pudong, "NOX")
    with (
        pytest.raises(IntegrityError, match="account_available_not_negative"),
        transaction.atomic(),
    ):
        Account.objects.filter(pk=account.pk).update(balance=Decimal("-1"))


def test_reversal_of_a_reversal_is_rejected(posted, municipal_approver, second_approver):
    reversal = services.reverse(
        original=posted, reason="r", user=municipal_approver, approver=second_approver
    )
    with pytest.raises(IntegrityError, match="cannot itself be reversed"), transaction.atomic():
        sql(
            "INSERT INTO ledger_transaction (kind, effective_date, memo, idempotency_key,"
            " reference_id, reference_text, posted_by_id, posted_at, reverses_id)"
            " VALUES ('REVERSAL', CURRENT_DATE, '', 'raw-rr', '', '', %s, now(), %s)",
            [municipal_approver.pk, reversal.pk],
        )


def test_double_reversal_is_rejected_by_a_unique_index(posted, municipal_approver, second_approver):
    services.reverse(original=posted, reason="r", user=municipal_approver, approver=second_approver)
    with pytest.raises(IntegrityError), transaction.atomic():
        sql(
            "INSERT INTO ledger_transaction (kind, effective_date, memo, idempotency_key,"
            " reference_id, reference_text, posted_by_id, approved_by_id, posted_at, reverses_id)"
            " VALUES ('REVERSAL', CURRENT_DATE, '', 'raw-r2', '', '', %s, %s, now(), %s)",
            [municipal_approver.pk, second_approver.pk, posted.pk],
        )


def test_closed_hold_cannot_change(posted, pudong, municipal_clerk):
    hold = services.place_hold(
        account=services.entity_account(pudong, "COD"), amount="1", user=municipal_clerk, reason="r"
    )
    services.release_hold(hold=hold, user=municipal_clerk)
    with pytest.raises(IntegrityError, match="is resolved"), transaction.atomic():
        sql("UPDATE ledger_hold SET status = 'ACTIVE', closed_at = NULL WHERE id = %s", [hold.pk])


def test_service_postings_pass_every_trigger_at_commit(posted, pudong, xuhui, municipal_clerk):
    transfer(
        seller=pudong,
        buyer=xuhui,
        pollutant="COD",
        amount="2",
        idempotency_key="t",
        user=municipal_clerk,
    )
    hold = services.place_hold(
        account=services.entity_account(xuhui, "COD"), amount="1", user=municipal_clerk, reason="r"
    )
    services.consume_hold(hold=hold, user=municipal_clerk)
    immediate()


def test_a_reversal_without_an_approver_is_rejected(posted, municipal_approver):
    with pytest.raises(IntegrityError, match="needs an approver"), transaction.atomic():
        sql(
            "INSERT INTO ledger_transaction (kind, effective_date, memo, idempotency_key,"
            " reference_id, reference_text, posted_by_id, posted_at, reverses_id)"
            " VALUES ('REVERSAL', CURRENT_DATE, '', 'raw-r3', '', '', %s, now(), %s)",
            [municipal_approver.pk, posted.pk],
        )

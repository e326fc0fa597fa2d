"""Tamper evidence (DESIGN §4): hash chains, digests, commit sequence, and what the database
refuses to the application's role. PostgreSQL-marked tests run in CI only against a real
server; the chain and digest tests run on both databases."""

import json
import os
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ledger import audit, integrity, services
from ledger.models import Entry, Hold, LedgerDigest, Transaction, TransactionCommit
from tests.factories import as_committed, fund, reconciled, transfer

D = Decimal
APP_ROLE = os.environ.get("QUOTA_TEST_APP_ROLE", "quota_app")


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@contextmanager
def triggers_off():
    """What an owner or superuser could do: switch the triggers off for this session."""
    if connection.vendor == "postgresql":
        sql("SET session_replication_role = replica")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            sql("SET session_replication_role = DEFAULT")


def some_activity(pudong, xuhui, clerk, approver):
    fund(pudong, "COD", "5", user=clerk, key="a")
    fund(xuhui, "COD", "2.5", user=clerk, key="b")
    transfer(
        seller=pudong,
        buyer=xuhui,
        pollutant="COD",
        amount="1.25",
        idempotency_key="t",
        user=clerk,
        reference_text="合同|1",
        memo="含|分隔符",
    )
    hold = services.place_hold(
        account=services.entity_account(pudong, "COD"), amount="1", user=clerk, reason="EIA"
    )
    services.consume_hold(hold=hold, user=clerk, approver=approver)


@pytest.mark.django_db
def test_every_leg_is_chained_and_the_chain_verifies(
    pudong, xuhui, municipal_clerk, municipal_approver
):
    some_activity(pudong, xuhui, municipal_clerk, municipal_approver)
    legs = list(Entry.objects.order_by("account_id", "id"))
    assert all(len(leg.hash) == 64 for leg in legs)
    # The database (trigger on PostgreSQL) and Python compute the same chain.
    first = legs[0]
    txn = first.transaction
    expected = integrity.leg_hash(
        integrity.GENESIS,
        (
            txn.pk,
            first.account_id,
            first.pollutant,
            first.amount,
            first.balance_after,
            first.effective_date,
        ),
        tuple(getattr(txn, name) for name in integrity.TRANSACTION_FIELDS),
    )
    assert first.hash == expected
    result = audit.verify()
    assert result.findings == [] and result.legs == len(legs)
    call_command("verify_ledger")
    assert reconciled() == []


@pytest.mark.django_db
def test_commit_numbers_are_gap_free_and_in_posting_order(pudong, municipal_clerk):
    for n in range(5):
        fund(pudong, "NOX", "1", user=municipal_clerk, key=f"k{n}")
    as_committed()
    # Numbered by the serial numbering step, not inside each posting (PostgreSQL).
    assert services.number_commits() == (5 if connection.vendor == "postgresql" else 0)
    assert services.number_commits() == 0
    rows = list(TransactionCommit.objects.values_list("seq", "transaction_id"))
    assert [seq for seq, _txn in rows] == [1, 2, 3, 4, 5]
    assert [txn for _seq, txn in rows] == sorted(Transaction.objects.values_list("pk", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_committing_late_is_numbered_after_what_readers_have_seen(
    pudong, xuhui, municipal_clerk
):
    """The reader's guarantee behind sync: a transaction still open when others are numbered
    gets a number above theirs once it commits, so paging by seq never skips it."""
    import threading

    fund(xuhui, "NOX", "1", user=municipal_clerk, key="before")
    inserted, release = threading.Event(), threading.Event()

    def slow_posting():
        with transaction.atomic():
            # COD: no account in common with the NOX postings, so nothing waits on its locks.
            fund(pudong, "COD", "1", user=municipal_clerk, key="slow")
            inserted.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=slow_posting)
    worker.start()
    assert inserted.wait(10)
    fund(xuhui, "NOX", "1", user=municipal_clerk, key="fast")
    services.number_commits()
    numbered = TransactionCommit.objects.values_list("transaction__idempotency_key", flat=True)
    assert {"before", "fast"} <= set(numbered) and "slow" not in numbered  # not committed
    seen = max(TransactionCommit.objects.values_list("seq", flat=True))
    release.set()
    worker.join()
    assert services.number_commits() == 1
    slow = TransactionCommit.objects.get(transaction__idempotency_key="slow")
    assert slow.seq == seen + 1
    assert (
        slow.transaction_id
        < TransactionCommit.objects.get(transaction__idempotency_key="fast").transaction_id
    )
    assert reconciled() == []


@pytest.mark.django_db(transaction=True)
def test_a_digest_proves_history_before_it_did_not_change(
    tmp_path, pudong, xuhui, municipal_clerk, municipal_approver
):
    some_activity(pudong, xuhui, municipal_clerk, municipal_approver)
    path = tmp_path / "digest.json"
    call_command("ledger_digest", output=path)
    recorded = json.loads(path.read_text())
    assert recorded["last_seq"] == TransactionCommit.objects.count()
    assert LedgerDigest.objects.get().digest == recorded["digest"]
    fund(pudong, "COD", "3", user=municipal_clerk, key="after")  # later postings are fine
    call_command("verify_ledger", digest=path)

    # An owner rewrites a leg before the digest and even recomputes every stored hash so
    # that the chains look whole: only the digest kept outside can tell.
    leg = Entry.objects.filter(account__entity=pudong).order_by("id").first()
    with triggers_off():
        Entry.objects.filter(pk=leg.pk).update(
            amount=leg.amount + 1, balance_after=leg.balance_after + 1
        )
        _rechain()
    assert audit.verify().findings == []
    checks = {finding.check for finding in audit.verify(recorded).findings}
    assert "digest_head" in checks
    with pytest.raises(CommandError, match="changed"):
        call_command("verify_ledger", digest=path)
    # Reconciliation sees the rest: the transaction no longer balances.
    assert "unbalanced_transaction" in {f.check for f in audit.reconcile()}

    # An edited digest file is caught too: its hash, or the last transaction it names.
    moved = {**recorded, "last_transaction_id": recorded["last_transaction_id"] + 1}
    assert "digest_file" in {f.check for f in audit.verify(moved).findings}
    recorded["digest"] = "0" * 64
    assert "digest_file" in {f.check for f in audit.verify(recorded).findings}


def _rechain():
    """Recompute every stored hash, as a thorough tamperer would."""
    prev_account, prev = None, integrity.GENESIS
    for leg in Entry.objects.select_related("transaction").order_by("account_id", "id"):
        if leg.account_id != prev_account:
            prev_account, prev = leg.account_id, integrity.GENESIS
        txn = leg.transaction
        prev = integrity.leg_hash(
            prev,
            (
                txn.pk,
                leg.account_id,
                leg.pollutant,
                leg.amount,
                leg.balance_after,
                leg.effective_date,
            ),
            tuple(getattr(txn, name) for name in integrity.TRANSACTION_FIELDS),
        )
        Entry.objects.filter(pk=leg.pk).update(hash=prev)


@pytest.mark.django_db(transaction=True)
def test_tampering_by_the_owner_is_caught(pudong, xuhui, municipal_clerk, municipal_approver):
    some_activity(pudong, xuhui, municipal_clerk, municipal_approver)
    leg = Entry.objects.filter(account__entity=pudong, amount__gt=0).order_by("id").first()
    with triggers_off():
        Entry.objects.filter(pk=leg.pk).update(amount=leg.amount + 4)
        services.Account.objects.filter(pk=leg.account_id).update(balance=D("0"))
        Transaction.objects.filter(pk=leg.transaction_id).update(memo="edited")
    findings = audit.verify().findings
    # The changed leg breaks its account's chain; the edited memo breaks the chain of every
    # account the transaction touched.
    assert {f.check for f in findings} == {"hash_chain"} and len(findings) == 2
    assert any(f"leg {leg.pk}:" in f.message for f in findings)
    checks = {f.check for f in audit.reconcile()}
    assert {
        "unbalanced_transaction",
        "running_balance",
        "balance_mismatch",
        "not_net_zero",
    } <= checks
    with pytest.raises(CommandError, match="reconcile"):
        call_command("reconcile_ledger")
    with pytest.raises(CommandError, match="changed"):
        call_command("verify_ledger")


# --- The application's database role (PostgreSQL) -----------------------------------------


@pytest.fixture
def app_role(django_db_blocker):
    """The least-privileged application role, granted as production grants it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
    call_command("grant_app_privileges", role=APP_ROLE)
    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=APP_ROLE,
    )
    yield conn
    conn.close()


def refused(conn, *statements: str) -> str:
    """Run statements in one transaction as the app role; return the error that stopped it
    (at a statement or at commit)."""
    try:
        with conn.transaction(), conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    except psycopg.Error as error:
        return str(error)
    raise AssertionError(f"the app role was allowed: {statements}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_role_is_refused_every_tampering_statement(
    app_role, pudong, xuhui, municipal_clerk, municipal_approver
):
    some_activity(pudong, xuhui, municipal_clerk, municipal_approver)
    fund(pudong, "NOX", "4", user=municipal_clerk, key="n")
    services.place_hold(
        account=services.entity_account(pudong, "NOX"),
        amount="1",
        user=municipal_clerk,
        reason="x",
    )
    leg = Entry.objects.order_by("id").first()
    txn = leg.transaction_id
    account = services.entity_account(pudong, "NOX")
    hold = Hold.objects.get(status="ACTIVE")
    conn = app_role
    denied = "permission denied"
    assert denied in refused(
        conn, f"UPDATE ledger_entry SET amount = amount + 1 WHERE id = {leg.pk}"
    )
    assert denied in refused(
        conn,
        "SET LOCAL pgtrigger.ignore = '{ledger_entry_append_only}'",
        f"UPDATE ledger_entry SET amount = amount + 1 WHERE id = {leg.pk}",
    )
    assert denied in refused(conn, f"DELETE FROM ledger_entry WHERE transaction_id = {txn}")
    assert denied in refused(conn, f"DELETE FROM ledger_transaction WHERE id = {txn}")
    assert denied in refused(conn, f"UPDATE ledger_transaction SET memo = 'x' WHERE id = {txn}")
    assert denied in refused(conn, "TRUNCATE ledger_entry, ledger_transaction CASCADE")
    assert denied in refused(conn, "TRUNCATE ledger_hold CASCADE")
    assert "must be owner" in refused(conn, "ALTER TABLE ledger_entry DISABLE TRIGGER ALL")
    assert "must be owner" in refused(
        conn, "DROP TRIGGER ledger_entry_before_insert ON ledger_entry"
    )
    assert denied in refused(conn, "SET session_replication_role = replica")
    assert "permission denied" in refused(
        conn,
        "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    )
    assert denied in refused(conn, "UPDATE ledger_sequencecounter SET last = 0")
    assert denied in refused(conn, "DELETE FROM ledger_pendingcommit")
    assert denied in refused(conn, f"INSERT INTO ledger_pendingcommit VALUES ({txn})")
    assert denied in refused(
        conn,
        f"INSERT INTO ledger_transactioncommit (seq, transaction_id, committed_at)"
        f" VALUES (999, {txn}, now())",
    )
    # Allowed statements that would leave the ledger inconsistent fail at commit.
    assert "differs from its legs" in refused(
        conn, f"UPDATE ledger_account SET balance = balance + 5 WHERE id = {account.pk}"
    )
    assert "differs from its active holds" in refused(
        conn,
        f"UPDATE ledger_hold SET status = 'RELEASED', closed_at = now() WHERE id = {hold.pk}",
    )
    assert "differs from its active holds" in refused(
        conn, f"UPDATE ledger_account SET held = 0 WHERE id = {account.pk}"
    )
    user = municipal_clerk.pk
    assert "do not sum to zero" in refused(
        conn,
        "INSERT INTO ledger_transaction (kind, effective_date, memo, idempotency_key,"
        " reference_id, reference_text, posted_by_id, posted_at) VALUES ('ALLOCATION',"
        f" CURRENT_DATE, '', 'raw', '', '', {user}, now())",
        "INSERT INTO ledger_entry (transaction_id, account_id, pollutant, amount,"
        " balance_after, effective_date) SELECT currval('ledger_transaction_id_seq'),"
        f" {account.pk}, 'NOX', 1, {account.balance + 1}, CURRENT_DATE",
        "INSERT INTO ledger_entry (transaction_id, account_id, pollutant, amount,"
        " balance_after, effective_date) SELECT currval('ledger_transaction_id_seq'),"
        f" {services.entity_account(xuhui, 'NOX').pk}, 'NOX', 1, 1, CURRENT_DATE",
    )
    # The app role still does its work: a balanced posting with its balances commits, and
    # the database numbers it and chains its legs.
    pool = services.system_account("ALLOCATION_POOL", "NOX")
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_transaction (kind, effective_date, memo, idempotency_key,"
            " reference_id, reference_text, posted_by_id, posted_at) VALUES ('ALLOCATION',"
            f" CURRENT_DATE, '', 'app-role', '', '', {user}, now()) RETURNING id"
        )
        [new_txn] = cursor.fetchone()
        cursor.execute(
            "INSERT INTO ledger_entry (transaction_id, account_id, pollutant, amount,"
            f" balance_after, effective_date) VALUES ({new_txn}, {pool.pk}, 'NOX', -1,"
            f" {pool.balance - 1}, CURRENT_DATE), ({new_txn}, {account.pk}, 'NOX', 1,"
            f" {account.balance + 1}, CURRENT_DATE)"
        )
        cursor.execute(f"UPDATE ledger_account SET balance = balance - 1 WHERE id = {pool.pk}")
        cursor.execute(f"UPDATE ledger_account SET balance = balance + 1 WHERE id = {account.pk}")
    assert not TransactionCommit.objects.filter(transaction_id=new_txn).exists()
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute("SELECT ledger_number_commits()")
    assert TransactionCommit.objects.filter(transaction_id=new_txn).exists()
    assert all(
        len(h) == 64
        for h in Entry.objects.filter(transaction_id=new_txn).values_list("hash", flat=True)
    )
    assert audit.reconcile() == []
    assert audit.verify().findings == []

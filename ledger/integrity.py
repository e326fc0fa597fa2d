"""What the database itself guarantees about the ledger, and the leg hash chain.

On PostgreSQL the rules below are plain SQL triggers installed by migrations — not
django-pgtrigger triggers, whose ``pgtrigger.ignore`` session setting any login with DML
rights could use to switch them off. The application's database role does not own the
tables, so it can neither ``ALTER TABLE … DISABLE TRIGGER`` nor replace these functions,
and ``session_replication_role`` needs a superuser (``manage.py grant_app_privileges``).

- posted transactions, legs, commit sequence numbers and digests are append-only: no
  UPDATE, DELETE or TRUNCATE (TRUNCATE only for a superuser, whom nothing can stop anyway
  and whom the test suite's flush needs);
- a transaction has at least two legs summing to zero per pollutant (checked at commit);
- a leg's pollutant is its account's; its running balance continues the account's last
  one; its ``hash`` is computed here, chained to the account's previous leg;
- an account's stored balance equals its last running balance, and its ``held`` the sum
  of its active holds, at commit — whichever row (account, leg or hold) was written;
- a hold is resolved once: only an ACTIVE hold changes, never its amount or account;
- a reversal never reverses a reversal and is always approved by a second person;
- every transaction gets a gap-free commit sequence number as it commits.

SQLite (development) has none of this; the services apply the same rules in Python, and
compute the same hashes with ``leg_hash`` below.
"""

import hashlib
from collections.abc import Iterable
from decimal import Decimal

GENESIS = "0" * 64

# The transaction fields each leg's hash covers, in order (``ledger_transaction`` columns).
TRANSACTION_FIELDS = (
    "kind",
    "idempotency_key",
    "effective_date",
    "posted_by_id",
    "approved_by_id",
    "reverses_id",
    "paired_with_id",
    "reference_type_id",
    "reference_id",
    "reference_text",
    "memo",
)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.3f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def leg_payload(prev_hash: str, leg: Iterable, transaction: Iterable) -> str:
    """The canonical text hashed for one leg: every field as ``length:value|`` so that no
    two different legs can produce the same text. ``leg`` is (transaction_id, account_id,
    pollutant, amount, balance_after, effective_date); ``transaction`` follows
    ``TRANSACTION_FIELDS``. Must match ``ledger_leg_hash()`` in SQL below exactly."""
    fields = [prev_hash, *leg, *transaction]
    return "".join(f"{len(text)}:{text}|" for text in map(_text, fields))


def leg_hash(prev_hash: str, leg: Iterable, transaction: Iterable) -> str:
    return hashlib.sha256(leg_payload(prev_hash, leg, transaction).encode("utf-8")).hexdigest()


def digest_of(
    heads: dict[int, tuple[int, str]], last_seq: int, last_transaction_id: int | None, date: str
) -> str:
    """One hash over every account's head leg (account id → (leg id, hash)), the last commit
    sequence number, the last transaction's id and the date."""
    text = f"{date}|{last_seq}|{last_transaction_id or ''}|" + "".join(
        f"{account}:{entry}:{value}|" for account, (entry, value) in sorted(heads.items())
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


APPEND_ONLY_TABLES = (
    "ledger_transaction",
    "ledger_entry",
    "ledger_transactioncommit",
    "ledger_ledgerdigest",
)
NO_TRUNCATE_TABLES = (
    *APPEND_ONLY_TABLES,
    "ledger_account",
    "ledger_hold",
    "ledger_sequencecounter",
)

_FIELD_SQL = "char_length(COALESCE({v}, '')) || ':' || COALESCE({v}, '') || '|'"


def leg_hash_sql() -> str:
    leg = [
        "prev",
        "e.transaction_id::text",
        "e.account_id::text",
        "e.pollutant",
        "e.amount::numeric(18,3)::text",
        "e.balance_after::numeric(18,3)::text",
        "to_char(e.effective_date, 'YYYY-MM-DD')",
    ]
    txn = [
        "t.kind",
        "t.idempotency_key",
        "to_char(t.effective_date, 'YYYY-MM-DD')",
        "t.posted_by_id::text",
        "t.approved_by_id::text",
        "t.reverses_id::text",
        "t.paired_with_id::text",
        "t.reference_type_id::text",
        "t.reference_id",
        "t.reference_text",
        "t.memo",
    ]
    payload = "\n    || ".join(_FIELD_SQL.format(v=v) for v in leg + txn)
    # PL/pgSQL, not SQL: called from the insert trigger with row arguments, an SQL function is
    # not inlined and costs ~15 µs a call; this way the chain costs ~3% of a posting
    # (bench/ledger_post.py), where the SQL version cost 15–20%.
    return f"""
CREATE OR REPLACE FUNCTION ledger_leg_hash(prev text, e ledger_entry, t ledger_transaction)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN encode(sha256(convert_to(
    {payload}, 'UTF8')), 'hex');
END $$;
"""


_LEGS_BALANCED = """
  IF (SELECT count(*) FROM ledger_entry WHERE transaction_id = {txn}) < 2 THEN
    RAISE EXCEPTION 'ledger: transaction % has fewer than two legs', {txn}
      USING ERRCODE = 'check_violation';
  END IF;
  IF EXISTS (SELECT 1 FROM ledger_entry WHERE transaction_id = {txn}
             GROUP BY pollutant HAVING SUM(amount) <> 0) THEN
    RAISE EXCEPTION 'ledger: legs of transaction % do not sum to zero per pollutant', {txn}
      USING ERRCODE = 'check_violation';
  END IF;
"""

_ACCOUNT_MATCHES = """
  SELECT balance, held INTO stored FROM ledger_account WHERE id = {account};
  SELECT e.balance_after INTO last_balance FROM ledger_entry e
   WHERE e.account_id = {account} ORDER BY e.id DESC LIMIT 1;
  IF stored.balance <> COALESCE(last_balance, 0) THEN
    RAISE EXCEPTION 'ledger: account % balance % differs from its legs (%)',
      {account}, stored.balance, COALESCE(last_balance, 0) USING ERRCODE = 'check_violation';
  END IF;
  SELECT COALESCE(SUM(h.amount), 0) INTO active_held FROM ledger_hold h
   WHERE h.account_id = {account} AND h.status = 'ACTIVE';
  IF stored.held <> active_held THEN
    RAISE EXCEPTION 'ledger: account % held % differs from its active holds (%)',
      {account}, stored.held, active_held USING ERRCODE = 'check_violation';
  END IF;
"""


def install_sql() -> list[str]:
    statements = [
        leg_hash_sql(),
        """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger: % rows are append-only; % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
""",
        """
CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'ledger: % cannot be truncated', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;
""",
        """
CREATE OR REPLACE FUNCTION ledger_transaction_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.reverses_id IS NOT NULL THEN
    IF (SELECT kind FROM ledger_transaction WHERE id = NEW.reverses_id) = 'REVERSAL' THEN
      RAISE EXCEPTION 'ledger: a reversal cannot itself be reversed'
        USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.approved_by_id IS NULL THEN
      RAISE EXCEPTION 'ledger: a reversal needs an approver other than its poster'
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
""",
        f"""
CREATE OR REPLACE FUNCTION ledger_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
{_LEGS_BALANCED.format(txn="NEW.id")}
  RETURN NULL;
END $$;
""",
        f"""
CREATE OR REPLACE FUNCTION ledger_entry_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
{_LEGS_BALANCED.format(txn="NEW.transaction_id")}
  RETURN NULL;
END $$;
""",
        """
CREATE OR REPLACE FUNCTION ledger_entry_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE acct_pollutant text; prev record; txn ledger_transaction;
BEGIN
  SELECT pollutant INTO acct_pollutant FROM ledger_account WHERE id = NEW.account_id;
  IF acct_pollutant IS DISTINCT FROM NEW.pollutant THEN
    RAISE EXCEPTION 'ledger: leg pollutant % does not match account %',
      NEW.pollutant, NEW.account_id USING ERRCODE = 'check_violation';
  END IF;
  SELECT e.balance_after, e.hash INTO prev FROM ledger_entry e
   WHERE e.account_id = NEW.account_id ORDER BY e.id DESC LIMIT 1;
  IF NEW.balance_after <> COALESCE(prev.balance_after, 0) + NEW.amount THEN
    RAISE EXCEPTION 'ledger: running balance of account % is %, expected %',
      NEW.account_id, NEW.balance_after, COALESCE(prev.balance_after, 0) + NEW.amount
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT * INTO txn FROM ledger_transaction WHERE id = NEW.transaction_id;
  NEW.hash := ledger_leg_hash(COALESCE(prev.hash, repeat('0', 64)), NEW, txn);
  RETURN NEW;
END $$;
""",
        f"""
CREATE OR REPLACE FUNCTION ledger_entry_account_matches() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE stored record; last_balance numeric; active_held numeric;
BEGIN
{_ACCOUNT_MATCHES.format(account="NEW.account_id")}
  RETURN NULL;
END $$;
""",
        f"""
CREATE OR REPLACE FUNCTION ledger_account_matches() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE stored record; last_balance numeric; active_held numeric;
BEGIN
{_ACCOUNT_MATCHES.format(account="NEW.id")}
  RETURN NULL;
END $$;
""",
        """
CREATE OR REPLACE FUNCTION ledger_hold_before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'ACTIVE' OR NEW.amount <> OLD.amount
     OR NEW.account_id <> OLD.account_id THEN
    RAISE EXCEPTION 'ledger: hold % is resolved or its amount/account changed', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
""",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();"
        )
    for table in NO_TRUNCATE_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();"
        )
    statements += [
        "CREATE TRIGGER ledger_hold_not_deleted BEFORE DELETE ON ledger_hold"
        " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();",
        "CREATE TRIGGER ledger_hold_resolved_once BEFORE UPDATE ON ledger_hold"
        " FOR EACH ROW EXECUTE FUNCTION ledger_hold_before_update();",
        "CREATE TRIGGER ledger_transaction_before_insert BEFORE INSERT ON ledger_transaction"
        " FOR EACH ROW EXECUTE FUNCTION ledger_transaction_before_insert();",
        "CREATE TRIGGER ledger_entry_before_insert BEFORE INSERT ON ledger_entry"
        " FOR EACH ROW EXECUTE FUNCTION ledger_entry_before_insert();",
        # Deferred: checked at commit, so a service may write rows in any order.
        "CREATE CONSTRAINT TRIGGER ledger_transaction_a_balanced AFTER INSERT"
        " ON ledger_transaction DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced();",
        "CREATE CONSTRAINT TRIGGER ledger_entry_transaction_balanced AFTER INSERT"
        " ON ledger_entry DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION ledger_entry_transaction_balanced();",
        "CREATE CONSTRAINT TRIGGER ledger_entry_account_matches AFTER INSERT"
        " ON ledger_entry DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION ledger_entry_account_matches();",
        "CREATE CONSTRAINT TRIGGER ledger_account_matches AFTER INSERT OR UPDATE"
        " ON ledger_account DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION ledger_account_matches();",
        "CREATE CONSTRAINT TRIGGER ledger_hold_held_matches AFTER INSERT OR UPDATE"
        " ON ledger_hold DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION ledger_entry_account_matches();",
    ]
    return statements


def sequencer_sql() -> list[str]:
    """Commit numbers without a global lock in the posting path. Each transaction's insert
    adds it to ``ledger_pendingcommit`` (no shared row is touched); ``ledger_number_commits()``
    numbers, under one advisory lock, every pending transaction that has committed — it
    cannot see the others — each new number above all before it. Postings never wait for
    it; readers of the sequence (the API's sync, audits, the digest) call it first and a
    beat task keeps it current. Before this, a deferred trigger took the counter row's lock
    at every commit and held it through the commit's WAL flush: postings queued one by one
    (bench/ledger_post.py). Both functions are SECURITY DEFINER: the application role
    writes neither table itself. Installed by migration 0007, which made the table."""
    return [
        "DROP TRIGGER IF EXISTS ledger_transaction_z_commit_seq ON ledger_transaction;",
        "DROP FUNCTION IF EXISTS ledger_assign_commit_seq();",
        """
CREATE OR REPLACE FUNCTION ledger_mark_pending() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO ledger_pendingcommit (transaction_id) VALUES (NEW.id);
  RETURN NULL;
END $$;
""",
        """
CREATE OR REPLACE FUNCTION ledger_number_commits() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE numbered integer; last_seq bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('ledger_number_commits'));
  SELECT c.last INTO last_seq FROM ledger_sequencecounter c WHERE c.id = 1;
  last_seq := COALESCE(last_seq, 0);
  WITH taken AS (
    DELETE FROM ledger_pendingcommit RETURNING transaction_id
  ), added AS (
    INSERT INTO ledger_transactioncommit (seq, transaction_id, committed_at)
    SELECT last_seq + row_number() OVER (ORDER BY transaction_id), transaction_id,
           clock_timestamp()
      FROM taken
    RETURNING 1
  )
  SELECT count(*) INTO numbered FROM added;
  IF numbered > 0 THEN
    INSERT INTO ledger_sequencecounter (id, last) VALUES (1, last_seq + numbered)
      ON CONFLICT (id) DO UPDATE SET last = EXCLUDED.last;
  END IF;
  RETURN numbered;
END $$;
""",
        "DROP TRIGGER IF EXISTS ledger_transaction_pending_commit ON ledger_transaction;",
        "CREATE TRIGGER ledger_transaction_pending_commit AFTER INSERT ON ledger_transaction"
        " FOR EACH ROW EXECUTE FUNCTION ledger_mark_pending();",
        "DROP TRIGGER IF EXISTS ledger_pendingcommit_no_truncate ON ledger_pendingcommit;",
        "CREATE TRIGGER ledger_pendingcommit_no_truncate BEFORE TRUNCATE ON ledger_pendingcommit"
        " FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();",
    ]


_FUNCTIONS = (
    "ledger_leg_hash(text, ledger_entry, ledger_transaction)",
    "ledger_refuse_change()",
    "ledger_refuse_truncate()",
    "ledger_transaction_before_insert()",
    "ledger_transaction_balanced()",
    "ledger_entry_transaction_balanced()",
    "ledger_entry_before_insert()",
    "ledger_entry_account_matches()",
    "ledger_account_matches()",
    "ledger_hold_before_update()",
    "ledger_mark_pending()",
    "ledger_number_commits()",
)


def uninstall_sql() -> list[str]:
    return [f"DROP FUNCTION IF EXISTS {function} CASCADE;" for function in _FUNCTIONS]

"""ledger_post(): one posting in one server-side call (issue 13).

The SQL lives here, frozen with the migration: a later change to it is a new migration.
``ledger.services`` calls it on PostgreSQL; SQLite keeps the Python path.
"""

from django.db import migrations

POST_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_post(
  p_kind text, p_effective date, p_memo text, p_key text, p_posted_by bigint,
  p_approved_by bigint, p_reverses bigint, p_paired bigint, p_reference_type integer,
  p_reference_id text, p_reference_text text, p_posted_at timestamptz,
  p_accounts bigint[], p_pollutants text[], p_amounts numeric[]
) RETURNS TABLE (status text, txn_id bigint, account_id bigint, available numeric)
LANGUAGE plpgsql AS $$
-- Lock the accounts in ascending id order, check the key, the accounts and the available
-- quota, then insert the transaction and its legs (the triggers chain each leg's hash and
-- check running balances) and store the new balances. A refusal writes nothing and says
-- which account; the caller turns it into the domain error.
DECLARE
  n integer := array_length(p_accounts, 1);
  locked integer;
  acct record;
  balances numeric[] := '{}';
  i integer;
  new_id bigint;
BEGIN
  PERFORM 1 FROM ledger_account a WHERE a.id = ANY (p_accounts) ORDER BY a.id FOR UPDATE;
  GET DIAGNOSTICS locked = ROW_COUNT;
  IF locked <> n THEN
    RETURN QUERY SELECT 'missing_account'::text, NULL::bigint, NULL::bigint, NULL::numeric;
    RETURN;
  END IF;
  SELECT t.id INTO new_id FROM ledger_transaction t WHERE t.idempotency_key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT 'duplicate'::text, new_id, NULL::bigint, NULL::numeric;
    RETURN;
  END IF;
  FOR i IN 1 .. n LOOP
    SELECT a.balance, a.held, a.may_go_negative, a.is_active INTO acct
      FROM ledger_account a WHERE a.id = p_accounts[i];
    IF NOT acct.is_active THEN
      RETURN QUERY SELECT 'closed'::text, NULL::bigint, p_accounts[i], NULL::numeric;
      RETURN;
    END IF;
    IF NOT acct.may_go_negative AND acct.balance + p_amounts[i] - acct.held < 0 THEN
      RETURN QUERY SELECT 'insufficient'::text, NULL::bigint, p_accounts[i],
        acct.balance - acct.held;
      RETURN;
    END IF;
    balances[i] := acct.balance + p_amounts[i];
  END LOOP;
  INSERT INTO ledger_transaction (
    kind, effective_date, memo, idempotency_key, posted_by_id, approved_by_id, reverses_id,
    paired_with_id, reference_type_id, reference_id, reference_text, posted_at
  ) VALUES (
    p_kind, p_effective, p_memo, p_key, p_posted_by, p_approved_by, p_reverses, p_paired,
    p_reference_type, p_reference_id, p_reference_text, p_posted_at
  ) RETURNING id INTO new_id;
  FOR i IN 1 .. n LOOP
    INSERT INTO ledger_entry (
      transaction_id, account_id, pollutant, amount, balance_after, effective_date
    ) VALUES (new_id, p_accounts[i], p_pollutants[i], p_amounts[i], balances[i], p_effective);
    UPDATE ledger_account SET balance = balances[i] WHERE id = p_accounts[i];
  END LOOP;
  RETURN QUERY SELECT 'posted'::text, new_id, NULL::bigint, NULL::numeric;
END $$;
"""

DROP_FUNCTION = """
DROP FUNCTION IF EXISTS ledger_post(
  text, date, text, text, bigint, bigint, bigint, bigint, integer, text, text, timestamptz,
  bigint[], text[], numeric[]
);
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POST_FUNCTION, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_statement_export_private_files")]

    operations = [migrations.RunPython(install, uninstall)]

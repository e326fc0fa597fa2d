"""Hash-chain verification over 1,000,000 legs vs. a bare per-account sum of the same rows.

Times ``ledger.audit.verify()`` (what ``manage.py verify_ledger`` runs: every leg streamed
with its transaction and commit number, each account's SHA-256 chain recomputed in Python)
beside ``SELECT account_id, sum(amount) FROM ledger_entry GROUP BY account_id`` fetched
completely, in the same run, and prints both and their ratio. PostgreSQL only.

The legs are bulk-loaded in SQL once (posting a million legs through the service would take
the better part of an hour) and reused on later runs: two-leg TRADE_IN transactions from the
NH3-N trading counterpart (a system account, may go negative) to five bench entities, with
running balances computed in insertion order so the database's triggers accept every leg
and compute its hash, as they do for a posting.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_user, report, setup_django

LEGS = int(os.environ.get("BENCH_VERIFY_LEGS", "1000000"))
ENTITIES = 5
POLLUTANT = "NH3N"
SOURCE = "TRADING"  # a system account no other benchmark posts to
KIND = "TRADE_IN"
KEY_PREFIX = "bench-verify-"
# Transactions (two legs each) per database transaction. Small on purpose: the commit
# sequence trigger updates one counter row per transaction, and within one database
# transaction each update costs more than the last (measured: 100,000 per chunk loads
# ~3,900 legs/s, 5,000 per chunk ~11,500 legs/s).
CHUNK = 5_000
PROGRESS = 100_000  # print progress every this many transactions
REPEAT = 2


def prepare() -> None:
    """Top the bench database up to LEGS legs (of any origin) with bulk-loaded postings."""
    from django.db import connection

    from ledger import services
    from ledger.models import Entity, EntityKind, Entry, Transaction

    have = Entry.objects.count()
    if have >= LEGS:
        print(f"verify: reusing {have:,} legs already in the bench database", flush=True)
        return
    user = bench_user()
    system = services.system_account(SOURCE, POLLUTANT)
    entities = []
    for i in range(ENTITIES):
        entity, _ = Entity.objects.get_or_create(
            code=f"BENCH-V{i}",
            defaults={"kind": EntityKind.ENTERPRISE, "name_zh": f"校验基准{i}"},
        )
        entities.append(services.entity_account(entity, POLLUTANT).pk)
    # Bench transactions are numbered 0, 1, 2, …; each chunk commits whole, so the count
    # of keys is the next number.
    start = Transaction.objects.filter(idempotency_key__startswith=KEY_PREFIX).count()
    count = (LEGS - have + 1) // 2
    print(
        f"verify: {have:,} legs present, loading {count:,} two-leg transactions "
        f"in chunks of {CHUNK:,}",
        flush=True,
    )
    t0 = time.perf_counter()
    for first in range(start, start + count, CHUNK):
        last = min(first + CHUNK, start + count) - 1
        _load_chunk(connection, first, last, system.pk, entities, user.pk)
        done = last - start + 1
        if done % PROGRESS and done != count:
            continue
        elapsed = time.perf_counter() - t0
        print(
            f"verify:   {2 * done:,}/{2 * count:,} legs loaded, {elapsed:.0f} s "
            f"({2 * done / elapsed:,.0f} legs/s)",
            flush=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_entry")
        cursor.execute("ANALYZE ledger_transaction")
        cursor.execute("ANALYZE ledger_transactioncommit")


def _load_chunk(connection, first: int, last: int, system: int, entities, user: int) -> None:
    """Transactions ``first``..``last`` (inclusive) and their legs, in one transaction.

    Transaction n moves (1 + n mod 9973) kg from the system account to entity n mod 5.
    Legs are inserted in the order (n, system leg first); each running balance is the
    account's balance at the start plus a running sum over the legs in that order, which is
    what the BEFORE INSERT trigger checks row by row (it sees the rows inserted earlier in
    the same statement). Balances are stored before commit, when the deferred triggers check
    them and the transactions' balance and take their commit numbers.
    """
    from django.db import transaction

    accounts = sorted([system, *entities])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # Lock as the posting service does, so a concurrent posting waits for this chunk.
        cursor.execute(
            "SELECT id FROM ledger_account WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
            [accounts],
        )
        cursor.execute(
            """
            INSERT INTO ledger_transaction (kind, effective_date, memo, idempotency_key,
                reference_id, reference_text, posted_by_id, posted_at)
            SELECT %s::text, DATE '2021-01-01' + (n / 500)::int, '', %s::text || n, '',
                   'bench ' || n, %s::bigint, now()
              FROM generate_series(%s::bigint, %s::bigint) AS n
             ORDER BY n
            """,
            [KIND, KEY_PREFIX, user, first, last],
        )
        cursor.execute(
            """
            INSERT INTO ledger_entry (transaction_id, account_id, pollutant, amount,
                balance_after, effective_date)
            SELECT t.id, leg.account_id, %s::text, leg.amount,
                   a.balance + sum(leg.amount) OVER (PARTITION BY leg.account_id
                                                     ORDER BY n, leg.side),
                   t.effective_date
              FROM generate_series(%s::bigint, %s::bigint) AS n
              JOIN ledger_transaction t ON t.idempotency_key = %s::text || n
             CROSS JOIN LATERAL (
                   VALUES (0, %s::bigint, -(1 + n %% 9973) * 0.001),
                          (1, (%s::bigint[])[1 + n %% %s::int], (1 + n %% 9973) * 0.001)
                   ) AS leg (side, account_id, amount)
              JOIN ledger_account a ON a.id = leg.account_id
             ORDER BY n, leg.side
            """,
            [POLLUTANT, first, last, KEY_PREFIX, system, entities, len(entities)],
        )
        cursor.execute(
            """
            UPDATE ledger_account a
               SET balance = (SELECT e.balance_after FROM ledger_entry e
                               WHERE e.account_id = a.id ORDER BY e.id DESC LIMIT 1)
             WHERE a.id = ANY(%s::bigint[])
            """,
            [accounts],
        )


def time_verify() -> tuple[float, int, int]:
    """One run of audit.verify(): (seconds, legs, accounts); refuses any finding."""
    from ledger import audit

    t = time.perf_counter()
    result = audit.verify()
    elapsed = time.perf_counter() - t
    if result.findings:
        shown = "\n  ".join(str(f) for f in result.findings[:10])
        raise SystemExit(f"verify: the loaded ledger does not verify:\n  {shown}")
    return elapsed, result.legs, result.accounts


BARE_SQL = "SELECT account_id, sum(amount) FROM ledger_entry GROUP BY account_id"


def time_bare() -> tuple[float, int]:
    from django.db import connection

    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(BARE_SQL)
        rows = cursor.fetchall()
    return time.perf_counter() - t, len(rows)


def main() -> None:
    vendor = setup_django()
    if vendor != "postgresql":
        print("verify: skipped — needs PostgreSQL (set DATABASE_URL=postgres://…)")
        return
    from ledger.models import Entry

    t = time.perf_counter()
    prepare()
    prepared = time.perf_counter() - t
    legs = Entry.objects.count()
    if legs < LEGS:
        raise SystemExit(f"verify: only {legs:,} legs after loading, wanted {LEGS:,}")

    verify_times, bare_times = [], []
    for _ in range(REPEAT):
        seconds, verified, accounts = time_verify()
        if verified != legs:
            raise SystemExit(f"verify: verify() saw {verified:,} legs, the table has {legs:,}")
        verify_times.append(seconds)
        seconds, groups = time_bare()
        if groups != accounts:
            raise SystemExit(f"verify: {groups} accounts have legs, verify() chained {accounts}")
        bare_times.append(seconds)
    best_verify, best_bare = min(verify_times), min(bare_times)
    rate = legs / best_verify
    report(
        f"verify: {legs:,} legs in {accounts} accounts, best of {REPEAT}"
        f" (data ready in {prepared:.1f} s)",
        [
            ("verify_ledger (audit.verify)", f"{best_verify:.2f} s ({rate:,.0f} legs/s)"),
            ("bare SELECT sum(amount) GROUP BY account_id", f"{best_bare:.3f} s"),
            ("ratio verify/bare", f"{best_verify / best_bare:.1f}"),
        ],
    )


if __name__ == "__main__":
    main()

"""Posting throughput: the posting service vs. the same SQL through bare psycopg.

4 worker processes post two-leg transactions for a fixed time, each between its own pair of
entity accounts (no shared rows, so the figure is the cost of a posting, not lock waits).
Both sides run in this one process tree, alternating, on the same tables and triggers.
Goal (issue 3): the service reaches at least 50% of the raw baseline.

pgbench's TPC-B (4 clients, scale 4, prepared statements, its own database) runs in the same
run as the yardstick of issue 13: the service should reach the raw loop and half of TPC-B.
pgbench also calls ``ledger_post()`` itself, with no Python in the loop: the most any client
of the posting function can reach here, beside TPC-B.

The hash chain (issue 9) is measured in the same run: a third phase posts through the service
with the leg hash swapped for a function that returns the previous hash unchanged (in the
bench database only; the real one is put back at once). Goal: the chain costs at most 10%.
"""

import multiprocessing as mp
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_user, report, setup_django

WORKERS = 4
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = 2


def prepare() -> tuple[list[tuple[int, int]], int]:
    from ledger import services
    from ledger.models import Entity, EntityKind

    user = bench_user()
    pairs = []
    for i in range(WORKERS):
        a, _ = Entity.objects.get_or_create(
            code=f"BENCH-A{i}", defaults={"kind": EntityKind.ENTERPRISE, "name_zh": f"基准A{i}"}
        )
        b, _ = Entity.objects.get_or_create(
            code=f"BENCH-B{i}", defaults={"kind": EntityKind.ENTERPRISE, "name_zh": f"基准B{i}"}
        )
        for entity in (a, b):
            services.credit_entity(
                kind="ALLOCATION",
                source="ALLOCATION_POOL",
                entity=entity,
                pollutant="COD",
                amount=Decimal("1000000"),
                idempotency_key=f"bench-fund-{entity.code}",
                user=user,
            )
        pairs.append((services.entity_account(a, "COD").pk, services.entity_account(b, "COD").pk))
    return pairs, user.pk


def service_worker(pair, user_id, run_id, start, seconds, out):
    from django.db import connection

    from ledger import services
    from ledger.models import Account, User

    connection.close()
    user = User.objects.get(pk=user_id)
    a, b = Account.objects.get(pk=pair[0]), Account.objects.get(pk=pair[1])
    amount = Decimal("0.001")
    count = 0
    start.wait()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        src, dst = (a, b) if count % 2 == 0 else (b, a)
        services.post(
            kind="TRADE_IN",
            legs=[services.Leg(src, -amount), services.Leg(dst, amount)],
            idempotency_key=f"bench-svc-{run_id}-{os.getpid()}-{count}",
            user=user,
        )
        count += 1
    out.put(count)


RAW_LOCK = (
    "SELECT id, balance, held, may_go_negative, is_active FROM ledger_account"
    " WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
)
RAW_KEY = "SELECT 1 FROM ledger_transaction WHERE idempotency_key = %s"
RAW_TXN = (
    "INSERT INTO ledger_transaction (kind, effective_date, memo, idempotency_key, reference_id,"
    " reference_text, posted_by_id, posted_at) VALUES ('TRADE_IN', CURRENT_DATE, '', %s, '', '',"
    " %s, now()) RETURNING id"
)
RAW_LEGS = (
    "INSERT INTO ledger_entry (transaction_id, account_id, pollutant, amount, balance_after,"
    " effective_date) VALUES (%s, %s, 'COD', %s, %s, CURRENT_DATE),"
    " (%s, %s, 'COD', %s, %s, CURRENT_DATE)"
)
RAW_BALANCE = "UPDATE ledger_account SET balance = %s WHERE id = %s"


def raw_worker(pair, user_id, run_id, dsn, start, seconds, out):
    import psycopg

    amount = Decimal("0.001")
    count = 0
    with psycopg.connect(dsn) as conn:
        start.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            src, dst = (pair[0], pair[1]) if count % 2 == 0 else (pair[1], pair[0])
            key = f"bench-raw-{run_id}-{os.getpid()}-{count}"
            with conn.transaction():
                rows = {r[0]: r for r in conn.execute(RAW_LOCK, [[src, dst]]).fetchall()}
                conn.execute(RAW_KEY, [key]).fetchone()
                new_src = rows[src][1] - amount
                new_dst = rows[dst][1] + amount
                if new_src - rows[src][2] < 0:
                    raise RuntimeError("bench account ran dry")
                txn = conn.execute(RAW_TXN, [key, user_id]).fetchone()[0]
                conn.execute(RAW_LEGS, [txn, src, -amount, new_src, txn, dst, amount, new_dst])
                conn.execute(RAW_BALANCE, [new_src, src])
                conn.execute(RAW_BALANCE, [new_dst, dst])
            count += 1
    out.put(count)


# PL/pgSQL like the real one: an SQL-language function costs more per call than the hash.
NO_HASH = """
CREATE OR REPLACE FUNCTION ledger_leg_hash(prev text, e ledger_entry, t ledger_transaction)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN prev; END $$;
"""


def set_leg_hash(dsn: str, *, chained: bool) -> None:
    """Install the real leg hash, or the no-op used to measure what the chain costs."""
    import psycopg

    from ledger import integrity

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(integrity.leg_hash_sql() if chained else NO_HASH)


def _pgbench_env(settings: dict) -> dict:
    return {
        **os.environ,
        "PGHOST": settings["HOST"] or "127.0.0.1",
        "PGPORT": str(settings["PORT"] or 5432),
        "PGUSER": settings["USER"] or "postgres",
        "PGPASSWORD": settings.get("PASSWORD") or "",
    }


def _pgbench(settings: dict, database: str, seconds: float, *extra: str) -> float | None:
    """Transactions per second of pgbench, 4 clients, prepared statements."""
    import subprocess

    run = subprocess.run(
        [
            *("pgbench", "-n", "-M", "prepared", "-c", str(WORKERS), "-j", "2"),
            *("-T", str(int(seconds)), *extra, database),
        ],
        env=_pgbench_env(settings),
        check=True,
        capture_output=True,
        text=True,
    )
    for line in run.stdout.splitlines():
        if line.startswith("tps ="):
            return float(line.split()[2])
    return None


def pgbench_tps(settings: dict, seconds: float) -> float | None:
    """TPC-B transactions per second of pgbench on a database of its own (made once)."""
    import shutil
    import subprocess

    import psycopg

    if shutil.which("pgbench") is None:
        return None
    name = settings["NAME"] + "_pgbench"
    admin = psycopg.conninfo.make_conninfo(psycopg_dsn(settings), dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            subprocess.run(
                ["pgbench", "-i", "-q", "-s", "4", name], env=_pgbench_env(settings), check=True
            )
    return _pgbench(settings, name, seconds)


def ledger_post_tps(settings: dict, pairs, user_id: int, seconds: float) -> float | None:
    """``ledger_post()`` called by pgbench itself, each client between its own pair of
    accounts: what the database side of a posting allows with no Python client at all, the
    ceiling any client of this function can reach on this machine."""
    import shutil
    import tempfile

    if shutil.which("pgbench") is None:
        return None
    firsts = ", ".join(str(a) for a, _ in pairs)
    seconds_ = ", ".join(str(b) for _, b in pairs)
    script = f"""\\set r random(1, 1000000000)
SELECT * FROM ledger_post('TRADE_IN', CURRENT_DATE, '', 'bench-pgb-' || :client_id || '-' \
 || :r || '-' || clock_timestamp()::text, {user_id}::bigint, NULL::bigint, NULL::bigint, \
 NULL::bigint, NULL::integer, '', '', now(), \
 ARRAY[(ARRAY[{firsts}])[:client_id % {len(pairs)} + 1], \
       (ARRAY[{seconds_}])[:client_id % {len(pairs)} + 1]]::bigint[], \
 ARRAY['COD', 'COD']::text[], ARRAY[-0.001, 0.001]::numeric[]);
"""
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as file:
        file.write(script)
        file.flush()
        return _pgbench(settings, settings["NAME"], seconds, "-f", file.name)


def psycopg_dsn(settings: dict) -> str:
    import psycopg

    return psycopg.conninfo.make_conninfo(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings.get("PASSWORD") or None,
    )


def run_phase(target, args_for, seconds) -> float:
    ctx = mp.get_context("fork")
    start = ctx.Barrier(WORKERS)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(*args_for(i), start, seconds, out)) for i in range(WORKERS)
    ]
    for p in procs:
        p.start()
    total = sum(out.get(timeout=seconds + 120) for _ in procs)
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"worker failed with exit code {p.exitcode}")
    return total / seconds


def main() -> None:
    vendor = setup_django()
    if vendor != "postgresql":
        print("ledger_post: skipped — needs PostgreSQL (set DATABASE_URL=postgres://…)")
        return
    from django.db import connection

    pairs, user_id = prepare()
    settings = connection.settings_dict
    dsn = psycopg_dsn(settings)
    connection.close()
    run_id = int(time.time())
    service_rates, raw_rates, unhashed_rates = [], [], []
    for r in range(ROUNDS):
        tag = f"{run_id}-{r}"
        service_rates.append(
            run_phase(service_worker, lambda i, tag=tag: (pairs[i], user_id, tag), SECONDS)
        )
        raw_rates.append(
            run_phase(raw_worker, lambda i, tag=tag: (pairs[i], user_id, tag, dsn), SECONDS)
        )
        set_leg_hash(dsn, chained=False)
        try:
            unhashed_rates.append(
                run_phase(
                    service_worker, lambda i, tag=tag: (pairs[i], user_id, f"{tag}-nh"), SECONDS
                )
            )
        finally:
            set_leg_hash(dsn, chained=True)
    service = sum(service_rates) / ROUNDS
    raw = sum(raw_rates) / ROUNDS
    unhashed = sum(unhashed_rates) / ROUNDS
    tpcb = pgbench_tps(settings, SECONDS * ROUNDS)
    ceiling = ledger_post_tps(settings, pairs, user_id, SECONDS * ROUNDS)
    report(
        f"ledger_post: {WORKERS} workers × {SECONDS:g} s × {ROUNDS} rounds, two-leg postings",
        [
            ("posting service", f"{service:,.0f} postings/s"),
            ("raw psycopg baseline", f"{raw:,.0f} postings/s"),
            ("ratio service/raw", f"{service / raw:.2f} (goal ≥ 1.0)"),
            (
                "pgbench TPC-B, 4 clients",
                f"{tpcb:,.0f} tps; service/TPC-B {service / tpcb:.2f} (goal ≥ 0.5)"
                if tpcb
                else "not run (no pgbench)",
            ),
            (
                "ledger_post() driven by pgbench",
                f"{ceiling:,.0f} postings/s = {ceiling / tpcb:.2f}× TPC-B, the database-side"
                f" ceiling; service/ceiling {service / ceiling:.2f}"
                if ceiling and tpcb
                else "not run (no pgbench)",
            ),
            ("service without the leg hash", f"{unhashed:,.0f} postings/s"),
            ("hash chain cost", f"{1 - service / unhashed:.1%} (goal ≤ 10%)"),
        ],
    )


if __name__ == "__main__":
    main()

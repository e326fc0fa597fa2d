"""API export at a million legs: a streamed CSV of every transaction with its legs, served
by gunicorn, its peak memory and time beside the bare SQL writing the same rows (issue 10).

The latency of the API's reads at a million legs — `GET /api/v1/accounts/{id}/`, the first
and a deep page of `transactions`, a sync page `after_seq=…` — is measured by
`bench/pages.py` beside their bare SQL in the same run; this benchmark adds the export.

Data: `bench/verify.py`'s bulk load (at least `BENCH_VERIFY_LEGS`, 1,000,000 by default,
two legs a transaction), reused on later runs. A reporting-client token reads
`/api/v1/transactions/?format=csv` through gunicorn (the project's `gunicorn.conf.py`) to
the end; the resident memory of every gunicorn process is sampled every 20 ms while it
streams. The bare figure is PostgreSQL's `COPY (…) TO STDOUT WITH CSV` of the transactions
joined to their legs, read to the end with psycopg in the same run.

Goal (issue 10): the export's peak memory growth under 100 MB. Figures are printed, never
asserted. PostgreSQL only.
"""

import http.client
import logging
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, report, setup_django

SAMPLE_SECONDS = 0.02
GOAL_MB = 100.0


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        return 0
    return 0


def family(pid: int) -> list[int]:
    """The gunicorn master and its workers."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [pid, *kids]


def total_rss_kb(pid: int) -> int:
    return sum(rss_kb(p) for p in family(pid))


def export(port: int, token: str) -> tuple[float, int, int]:
    """Seconds, bytes and lines of the whole CSV export."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    started = time.perf_counter()
    conn.request(
        "GET", "/api/v1/transactions/?format=csv", headers={"Authorization": f"Token {token}"}
    )
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"api_read: export answered {response.status}: {response.read()[:300]}")
    size = lines = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
    conn.close()
    return time.perf_counter() - started, size, lines


BARE = """COPY (
  SELECT t.id, c.seq, t.kind, t.effective_date, t.posted_at, t.reference_text, t.memo,
         t.idempotency_key, u.username,
         (SELECT json_agg(json_build_object('id', e.id, 'account', e.account_id,
                 'pollutant', e.pollutant, 'amount', e.amount,
                 'balance_after', e.balance_after) ORDER BY e.id)
            FROM ledger_entry e WHERE e.transaction_id = t.id)
    FROM ledger_transaction t
    LEFT JOIN ledger_transactioncommit c ON c.transaction_id = t.id
    JOIN ledger_user u ON u.id = t.posted_by_id
   ORDER BY t.id DESC
) TO STDOUT WITH CSV"""


def bare(dsn: str) -> tuple[float, int]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
        started = time.perf_counter()
        size = 0
        with cursor.copy(BARE) as copy:
            for block in copy:
                size += len(block)
        return time.perf_counter() - started, size


def main() -> None:
    vendor = setup_django(fresh_sqlite=False)
    if vendor != "postgresql":
        print("api_read: skipped — needs PostgreSQL (set DATABASE_URL=postgres://…)")
        return
    import verify
    from django.db import connection
    from knox.models import AuthToken
    from ledger_post import psycopg_dsn
    from pages import free_port, start_server, stop_server

    from ledger.models import Entity, Entry, Role, Transaction, User
    from ledger.services import set_roles

    logging.getLogger("axes").setLevel(logging.WARNING)
    verify.prepare()
    legs = Entry.objects.count()
    transactions = Transaction.objects.count()
    reader, created = User.objects.get_or_create(
        username="bench_reporter", defaults={"entity": Entity.objects.get(code="SHSEE")}
    )
    if created:
        set_roles(user=reader, roles=[Role.REPORTING_CLIENT])
    AuthToken.objects.filter(user=reader).delete()
    _token, secret = AuthToken.objects.create(user=reader)
    dsn = psycopg_dsn(connection.settings_dict)
    connection.close()

    port = free_port()
    server = start_server(port, RESULTS / "api-read-gunicorn.log")
    try:
        time.sleep(1)
        baseline = total_rss_kb(server.pid)
        peak = baseline
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, total_rss_kb(server.pid))
                time.sleep(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            seconds, size, lines = export(port, secret)
        finally:
            done.set()
            sampler.join()
    finally:
        stop_server(server)
    bare_seconds, bare_size = bare(dsn)
    growth_mb = (peak - baseline) / 1024
    report(
        f"api_read: CSV export of {transactions:,} transactions ({legs:,} legs)",
        [
            ("API export", f"{seconds:.2f} s, {size / 1e6:.1f} MB, {lines - 1:,} rows"),
            ("bare COPY of the same rows", f"{bare_seconds:.2f} s, {bare_size / 1e6:.1f} MB"),
            ("ratio", f"{seconds / bare_seconds:.1f}×"),
            (
                "gunicorn memory",
                f"{baseline / 1024:.0f} MB before, peak {peak / 1024:.0f} MB: "
                f"+{growth_mb:.1f} MB (goal < {GOAL_MB:g} MB) "
                f"{'ok' if growth_mb < GOAL_MB else 'MISS'}",
            ),
        ],
    )


if __name__ == "__main__":
    main()

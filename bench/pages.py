"""Page and API latency at a million legs, served by gunicorn, beside the bare SQL (issue 13).

Data (loaded once into the bench database, found again by its marker rows on later runs):

- at least 1,000,000 legs: ``bench/verify.py``'s bulk SQL load is reused for them (it tops
  the database up to a million legs if fewer are there; posting a million legs through the
  service would take the better part of an hour);
- the busy entity BENCH-V0 (one of verify's five) topped up to 200,000 NH3-N legs through
  the posting service (``ledger.services.post_batch``, 500 postings a batch, idempotency keys
  ``bench-pages-<n>``), TRADE_IN from the NH3-N trading system account;
- BENCH-EMPTY, an entity with an account for each pollutant and no legs at all;
- 100,000 reduction projects named ``BENCH-P<n>`` owned by 100 enterprises BENCH-P00…99,
  in every status, year 2021–2025, one pollutant each: **bulk-created** with the models for
  load time, storing what ``reductions.services.save_project`` stores (the project, its
  amounts, one CREATE review), plus a certified amount and date where CERTIFIED; targets of
  BENCH-P00 for the progress page.

Then it signs the municipal clerk in (a session made with the test client's
``force_login`` in the bench database), starts gunicorn with the project's
``gunicorn.conf.py`` (gthread, 4 workers × 2 threads) on a free local port, and for each page
times N sequential requests over one kept-alive connection, then 4 concurrent clients with
their own connections, beside the hand-written SQL returning the same rows, timed with
psycopg in the same run. API entries are measured only where the route exists. The API's
throttle is raised for the bench server (API_THROTTLE_RATE) so it never answers 429.

Goals (issue 13): p99 < 50 ms sequential and < 100 ms with 4 clients, and within 3× of the
bare SQL where that takes over 5 ms. Figures are printed, never asserted. PostgreSQL only.
"""

import base64
import datetime
import http.client
import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, bench_user, report, setup_django

N = int(os.environ.get("BENCH_PAGES_N", "50"))
# BENCH_PAGES_ONLY="home,API" measures only the pages whose names contain one of these words.
ONLY = [word for word in os.environ.get("BENCH_PAGES_ONLY", "").split(",") if word]
CLIENTS = 4
WARMUP = 5
BUSY = "BENCH-V0"  # one of bench/verify.py's entities
BUSY_POLLUTANT = "NH3N"
BUSY_LEGS = 200_000
SOURCE = "TRADING"  # the system account verify.py posts from (may go negative)
KEY_PREFIX = "bench-pages-"
POST_BATCH = 500
EMPTY = "BENCH-EMPTY"
PROJECTS = int(os.environ.get("BENCH_PAGES_PROJECTS", "100000"))
PROJECT_PREFIX = "BENCH-P"
OWNERS = 100
PROJECT_BATCH = 5000
POLLUTANTS = ["COD", "NH3N", "NOX", "VOCS"]
STATUSES = [
    "CERTIFIED",
    "CERTIFIED",
    "CERTIFIED",
    "CERTIFIED",
    "DRAFT",
    "SUBMITTED",
    "DISTRICT_REVIEWED",
    "MUNICIPAL_REVIEWED",
    "RETURNED",
    "WITHDRAWN",
]
# A page slower than ~0.3 s would take minutes at N requests a phase: each phase stops after
# this many seconds (with at least MIN_SAMPLES), and the table says how many it took.
PHASE_SECONDS = 15.0
MIN_SAMPLES = 10
GOAL_SEQ_MS, GOAL_CONC_MS, GOAL_RATIO, BARE_FLOOR_MS = 50.0, 100.0, 3.0, 5.0


# --- Data ----------------------------------------------------------------------------------


def prepare_legs(user) -> tuple[int, float]:
    """A million legs (verify.py's load) and BENCH-V0's account topped up to BUSY_LEGS legs
    through the posting service. Returns (the busy account's id, seconds spent posting)."""
    import verify

    from ledger import services
    from ledger.models import Entity, EntityKind, Entry, Transaction

    verify.prepare()
    entity, _ = Entity.objects.get_or_create(
        code=BUSY, defaults={"kind": EntityKind.ENTERPRISE, "name_zh": "校验基准0"}
    )
    account = services.entity_account(entity, BUSY_POLLUTANT)
    have = Entry.objects.filter(account=account).count()
    if have >= BUSY_LEGS:
        print(f"pages: reusing {have:,} legs on {BUSY}", flush=True)
        return account.pk, 0.0
    source = services.system_account(SOURCE, BUSY_POLLUTANT)
    start = Transaction.objects.filter(idempotency_key__startswith=KEY_PREFIX).count()
    count = BUSY_LEGS - have
    print(f"pages: posting {count:,} transactions onto {BUSY} through post_batch", flush=True)
    t0 = time.perf_counter()
    first_day = datetime.date(2024, 1, 1)
    for first in range(start, start + count, POST_BATCH):
        postings = []
        for n in range(first, min(first + POST_BATCH, start + count)):
            amount = Decimal(1 + n % 997) / 1000
            postings.append(
                services.Posting(
                    kind="TRADE_IN",
                    legs=[services.Leg(source, -amount), services.Leg(account, amount)],
                    idempotency_key=f"{KEY_PREFIX}{n}",
                    reference_text=f"bench pages {n}",
                    effective_date=first_day + datetime.timedelta(days=n // 500),
                )
            )
        services.post_batch(postings=postings, user=user)
        done = first + len(postings) - start
        if done % 20_000 == 0 or done == count:
            elapsed = time.perf_counter() - t0
            print(f"pages:   {done:,}/{count:,} postings, {done / elapsed:,.0f}/s", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_entry")
        cursor.execute("ANALYZE ledger_transaction")
        cursor.execute("ANALYZE ledger_transactioncommit")
    return account.pk, time.perf_counter() - t0


def prepare_empty():
    from ledger import services
    from ledger.models import Entity, EntityKind

    entity, _ = Entity.objects.get_or_create(
        code=EMPTY, defaults={"kind": EntityKind.ENTERPRISE, "name_zh": "无分录基准企业"}
    )
    for pollutant in POLLUTANTS:
        services.entity_account(entity, pollutant)
    return entity


def prepare_projects(clerk) -> float:
    """PROJECTS projects named BENCH-P<n>, bulk-created (see the module docstring)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from allocations.models import Target
    from ledger.models import Entity, EntityKind, Role
    from reductions.models import (
        Industry,
        PlanPeriod,
        Project,
        ProjectAmount,
        ProjectType,
        Review,
    )

    period = PlanPeriod.objects.get(code="14FYP")
    owners = []
    for i in range(OWNERS):
        entity, _ = Entity.objects.get_or_create(
            code=f"{PROJECT_PREFIX}{i:02d}",
            defaults={"kind": EntityKind.ENTERPRISE, "name_zh": f"项目基准{i}"},
        )
        owners.append(entity)
    for pollutant in POLLUTANTS:
        Target.objects.get_or_create(
            entity=owners[0],
            plan_period=period,
            pollutant=pollutant,
            defaults={"amount": Decimal("50"), "updated_by": clerk},
        )
    have = Project.objects.filter(name__startswith=PROJECT_PREFIX).count()
    if have >= PROJECTS:
        print(f"pages: reusing {have:,} {PROJECT_PREFIX}* projects", flush=True)
        return 0.0
    print(f"pages: bulk-creating {PROJECTS - have:,} projects", flush=True)
    industry = Industry.objects.get(code="26")
    types = {
        "COD": ProjectType.objects.get(code="W_INDUSTRIAL"),
        "NH3N": ProjectType.objects.get(code="W_URBAN_SEWAGE"),
        "NOX": ProjectType.objects.get(code="A_NOX_TREATMENT"),
        "VOCS": ProjectType.objects.get(code="A_VOC_TREATMENT"),
    }
    now = timezone.now()
    national = timezone.localdate() - datetime.timedelta(days=30)
    t0 = time.perf_counter()
    for first in range(have, PROJECTS, PROJECT_BATCH):
        numbers = range(first, min(first + PROJECT_BATCH, PROJECTS))
        with transaction.atomic():
            projects = []
            for n in numbers:
                status = STATUSES[n % len(STATUSES)]
                key = n % 3 != 0
                certified = status == "CERTIFIED"
                projects.append(
                    Project(
                        owner=owners[n % OWNERS],
                        name=f"{PROJECT_PREFIX}{n}",
                        enterprise_name=f"基准企业{n % 997}",
                        credit_code="91310000132200821H",
                        industry=industry,
                        project_type=types[POLLUTANTS[(n // 7) % 4]],
                        measure="bench",
                        plan_period=period,
                        accounting_year=2021 + (n // 11) % 5,
                        completion_date=datetime.date(2021 + (n // 11) % 5, 6, 30),
                        tier="KEY" if key else "PACKAGE",
                        tier_reason="bench",
                        accounting_method="NATIONAL_KEY" if key else "NATIONAL_PACKAGE",
                        status=status,
                        created_by=clerk,
                        last_edited_by=clerk,
                        certified_at=now if certified else None,
                        national_date=national if certified and key else None,
                    )
                )
            Project.objects.bulk_create(projects)
            amounts, reviews = [], []
            for p in projects:
                n = int(p.name[len(PROJECT_PREFIX) :])
                pollutant = POLLUTANTS[(n // 7) % 4]
                claimed = Decimal(1 + n % 50) / 4
                certified = p.status == "CERTIFIED"
                amounts.append(
                    ProjectAmount(
                        project=p,
                        pollutant=pollutant,
                        claimed=claimed,
                        certified=claimed if certified else None,
                        district_reviewed=claimed if certified else None,
                    )
                )
                reviews.append(
                    Review(
                        project=p,
                        actor=clerk,
                        role=Role.ENTERPRISE_USER,
                        action="create",
                        from_status="DRAFT",
                        to_status="DRAFT",
                        amounts={pollutant: str(claimed)},
                    )
                )
            ProjectAmount.objects.bulk_create(amounts)
            Review.objects.bulk_create(reviews)
    with connection.cursor() as cursor:
        for table in ("reductions_project", "reductions_projectamount", "reductions_review"):
            cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - t0


# --- Measuring -----------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    url: str
    bare: list[tuple[str, list | dict]]  # statements run one after another on one connection
    note: str = ""
    seq: list[float] = field(default_factory=list)
    conc: list[float] = field(default_factory=list)
    bare_times: list[float] = field(default_factory=list)
    statuses: set = field(default_factory=set)
    restarts: int = 0


class Client:
    """One kept-alive HTTP/1.1 connection to the server, carrying the session cookie."""

    def __init__(self, port: int, cookie: str):
        self.port, self.headers = port, {"Cookie": cookie, "Accept-Language": "zh-hans"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, url: str) -> tuple[float, int, bytes]:
        for attempt in (1, 2):
            t = time.perf_counter()
            try:
                self.conn.request("GET", url, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
            except (http.client.HTTPException, ConnectionError):
                # The server closed an idle kept-alive connection: open a new one, once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
                continue
            return time.perf_counter() - t, response.status, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def percentile(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def measure(page: Page, port: int, cookie: str, dsn: str, log: Path) -> None:
    import psycopg

    restarts_before = _restarts(log)
    client = Client(port, cookie)
    for _ in range(WARMUP):
        client.get(page.url)
    deadline = time.perf_counter() + PHASE_SECONDS
    for i in range(N):
        if i >= MIN_SAMPLES and time.perf_counter() > deadline:
            break
        seconds, status, _body = client.get(page.url)
        page.seq.append(seconds)
        page.statuses.add(status)
    client.close()

    barrier = threading.Barrier(CLIENTS)
    lock = threading.Lock()

    def worker():
        mine = Client(port, cookie)
        mine.get(page.url)  # open the connection
        barrier.wait()
        deadline = time.perf_counter() + PHASE_SECONDS
        times, statuses = [], set()
        for i in range(N):
            if i >= MIN_SAMPLES and time.perf_counter() > deadline:
                break
            seconds, status, _body = mine.get(page.url)
            times.append(seconds)
            statuses.add(status)
        mine.close()
        with lock:
            page.conc.extend(times)
            page.statuses |= statuses

    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    page.restarts = _restarts(log) - restarts_before

    with psycopg.connect(dsn, autocommit=True) as conn:
        deadline = time.perf_counter() + PHASE_SECONDS
        for i in range(WARMUP + N):
            if i >= WARMUP + MIN_SAMPLES and time.perf_counter() > deadline:
                break
            t = time.perf_counter()
            for sql, params in page.bare:
                conn.execute(sql, params).fetchall()
            if i >= WARMUP:
                page.bare_times.append(time.perf_counter() - t)


def _restarts(log: Path) -> int:
    try:
        return log.read_text(errors="replace").count("Autorestarting worker")
    except FileNotFoundError:
        return 0


# --- Server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ)  # DATABASE_URL already points at the bench database
    env.update(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        DEBUG="false",
        QUOTA_LEDGER_MODE="development",
        ALLOWED_HOSTS="127.0.0.1",
        API_THROTTLE_RATE="1000000/hour",
    )
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "quota_ledger.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"pages: gunicorn exited ({server.returncode}); see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/accounts/login/")
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"pages: gunicorn did not answer within 60 s; see {log}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- Pages and their bare SQL --------------------------------------------------------------

LEG_COLUMNS = (
    "e.id, e.effective_date, e.amount, e.balance_after, e.transaction_id, t.kind,"
    " t.reference_text, t.memo, t.posted_at"
)
# ``account_id BETWEEN x AND x`` rather than ``= x``: with an equality PostgreSQL drops the
# account from the ORDER BY and may walk the primary key backwards filtering on the account
# (slow when the account's legs are not the newest, a full scan for an account without
# legs); the range keeps the hand-written query on the (account_id, id DESC) index.
STATEMENT_DESC = (
    f"SELECT {LEG_COLUMNS} FROM ledger_entry e JOIN ledger_transaction t"
    " ON t.id = e.transaction_id WHERE e.account_id BETWEEN %(a)s AND %(a)s"
    " ORDER BY e.account_id, e.id DESC LIMIT 51"
)
STATEMENT_ASC = (
    f"SELECT {LEG_COLUMNS} FROM ledger_entry e JOIN ledger_transaction t"
    " ON t.id = e.transaction_id WHERE e.account_id BETWEEN %(a)s AND %(a)s AND e.id > %(after)s"
    " ORDER BY e.account_id DESC, e.id LIMIT 51"
)
STATEMENT_ON_DATE = (
    f"SELECT {LEG_COLUMNS} FROM ledger_entry e JOIN ledger_transaction t"
    " ON t.id = e.transaction_id WHERE e.account_id BETWEEN %(a)s AND %(a)s AND e.id >= ("
    "SELECT id FROM ledger_entry WHERE account_id = %(a)s AND effective_date >= %(date)s"
    " ORDER BY effective_date, id LIMIT 1) ORDER BY e.account_id DESC, e.id LIMIT 51"
)
RECENT = (
    "SELECT e.id, e.effective_date, e.amount, e.balance_after, a.pollutant, t.kind,"
    " t.reference_text, u.username FROM ledger_account a CROSS JOIN LATERAL ("
    "SELECT * FROM ledger_entry e WHERE e.account_id BETWEEN a.id AND a.id"
    " ORDER BY e.account_id, e.id DESC LIMIT 20) e"
    " JOIN ledger_transaction t ON t.id = e.transaction_id"
    " JOIN ledger_user u ON u.id = t.posted_by_id"
    " WHERE a.entity_id = %s ORDER BY e.id DESC LIMIT 20"
)
# The home page's dashboards (allocations/dashboards.py): its two aggregates that matter,
# city totals over every entity leg and certified reductions per year and tier.
CITY_TOTALS = (
    "SELECT e.pollutant, sum(e.amount) FILTER (WHERE t.kind IN ('ALLOCATION', 'RECOVERY')),"
    " sum(e.amount) FILTER (WHERE t.kind = 'USE') FROM ledger_entry e"
    " JOIN ledger_account a ON a.id = e.account_id"
    " JOIN ledger_transaction t ON t.id = e.transaction_id"
    " WHERE a.entity_id IS NOT NULL GROUP BY 1"
)
CERTIFIED_BY_YEAR = (
    "SELECT p.accounting_year, p.tier, sum(a.certified) FROM reductions_projectamount a"
    " JOIN reductions_project p ON p.id = a.project_id WHERE p.status = 'CERTIFIED'"
    " GROUP BY 1, 2 ORDER BY 1"
)
POSITIONS = "SELECT id, pollutant, balance, held FROM ledger_account WHERE entity_id = %s"
PROJECT_ROWS = (
    "SELECT p.id, p.name, p.status, p.tier, p.accounting_year, o.code, o.name_zh, pt.code,"
    " i.code, (SELECT json_agg(json_build_object('pollutant', a.pollutant, 'claimed',"
    " a.claimed, 'certified', a.certified) ORDER BY a.pollutant)"
    " FROM reductions_projectamount a WHERE a.project_id = p.id)"
    " FROM reductions_project p JOIN ledger_entity o ON o.id = p.owner_id"
    " JOIN reductions_projecttype pt ON pt.id = p.project_type_id"
    " LEFT JOIN reductions_projecttype pp ON pp.id = pt.parent_id"
    " JOIN reductions_industry i ON i.code = p.industry_id"
    " WHERE {where} ORDER BY p.id DESC LIMIT 51"
)
PROJECT_COUNTS = "SELECT status, count(*) FROM reductions_project p WHERE {where} GROUP BY status"
# A filtered list reads at most 1,001 statuses (reductions.selectors.FILTERED_COUNT_LIMIT).
PROJECT_STATUSES = "SELECT status FROM reductions_project p WHERE {where} LIMIT 1001"
HAS_POLLUTANT = (
    "EXISTS (SELECT 1 FROM reductions_projectamount a WHERE a.project_id = p.id"
    " AND a.pollutant = %s)"
)
CERTIFIED_SUMS = """
SELECT p.owner_id, a.pollutant,
       SUM(CASE WHEN p.tier = 'KEY' THEN a.certified END),
       SUM(CASE WHEN p.tier = 'PACKAGE' THEN a.certified END),
       SUM(CASE WHEN p.tier = 'MICRO' THEN a.certified END),
       SUM(CASE WHEN p.tier = 'VOC_MGMT' THEN a.certified END)
  FROM reductions_projectamount a JOIN reductions_project p ON p.id = a.project_id
 WHERE {owner} p.plan_period_id = %s AND p.status = 'CERTIFIED' AND a.certified IS NOT NULL
   AND ((p.tier = 'KEY' AND p.national_date <= %s)
        OR (p.tier <> 'KEY' AND p.certified_at < %s::date + 1))
 GROUP BY p.owner_id, a.pollutant
"""
TARGETS = "SELECT entity_id, pollutant, amount FROM allocations_target WHERE plan_period_id = %s"
OVERVIEW_PAGE = (
    "SELECT id, code, kind, name_zh FROM ledger_entity"
    " WHERE kind IN ('DISTRICT', 'COMMITTEE', 'ENTERPRISE') AND is_active"
    " ORDER BY kind || ' ' || code, id LIMIT 26"
)
OVERVIEW_IDS = f"SELECT id FROM ({OVERVIEW_PAGE}) e"
API_TXN = """
WITH page AS (
  SELECT t.*, c.seq FROM ledger_transaction t
  {join} ledger_transactioncommit c ON c.transaction_id = t.id
  WHERE {where} ORDER BY {order} LIMIT 51)
SELECT page.id, page.seq, page.kind, page.effective_date, page.reference_text, page.posted_at,
       u.username, e.id, e.amount, e.balance_after, a.pollutant, a.system_kind, en.code
  FROM page JOIN ledger_user u ON u.id = page.posted_by_id
  JOIN ledger_entry e ON e.transaction_id = page.id
  JOIN ledger_account a ON a.id = e.account_id
  LEFT JOIN ledger_entity en ON en.id = a.entity_id
 ORDER BY {outer_order}, e.id
"""
API_ACCOUNT = (
    "SELECT a.*, en.code, en.name_zh FROM ledger_account a"
    " LEFT JOIN ledger_entity en ON en.id = a.entity_id WHERE a.id = %s"
)
API_PROJECTS = (
    "SELECT p.*, o.code, pp.code, f.filing_number,"
    " (SELECT json_agg(a.* ORDER BY a.pollutant) FROM reductions_projectamount a"
    "   WHERE a.project_id = p.id),"
    " (SELECT json_agg(json_build_object('action', r.action, 'actor', u.username, 'at',"
    "   r.created_at, 'amounts', r.amounts) ORDER BY r.id)"
    "   FROM reductions_review r JOIN ledger_user u ON u.id = r.actor_id"
    "   WHERE r.project_id = p.id)"
    " FROM reductions_project p JOIN ledger_entity o ON o.id = p.owner_id"
    " JOIN reductions_planperiod pp ON pp.id = p.plan_period_id"
    " LEFT JOIN reductions_bundlefiling f ON f.id = p.filing_id"
    " ORDER BY p.id DESC LIMIT 51"
)


def drf_cursor(position) -> str:
    """A cursor as DRF's CursorPagination encodes one: the rows after ``position``."""
    return base64.b64encode(urlencode({"p": str(position)}).encode("ascii")).decode("ascii")


def build_pages(user, busy_account: int) -> list[Page]:
    from django.db import connection
    from django.utils import timezone

    from ledger.models import Entity
    from reductions.models import PlanPeriod

    busy = Entity.objects.get(code=BUSY)
    empty = Entity.objects.get(code=EMPTY)
    owner = Entity.objects.get(code=f"{PROJECT_PREFIX}00")
    period = PlanPeriod.objects.get(code="14FYP")
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT effective_date FROM ledger_entry WHERE account_id = %s ORDER BY id"
            " OFFSET (SELECT count(*) / 2 FROM ledger_entry WHERE account_id = %s) LIMIT 1",
            [busy_account, busy_account],
        )
        mid_date = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id FROM ledger_transaction ORDER BY id"
            " OFFSET (SELECT count(*) / 2 FROM ledger_transaction) LIMIT 1"
        )
        mid_txn = cursor.fetchone()[0]
        # Commits are numbered after the fact (the beat's job); none may be left waiting.
        cursor.execute("SELECT ledger_number_commits()")
        cursor.execute(
            "SELECT seq FROM ledger_transactioncommit ORDER BY seq"
            " OFFSET (SELECT count(*) / 2 FROM ledger_transactioncommit) LIMIT 1"
        )
        mid_seq = cursor.fetchone()[0]

    projects_all = "TRUE"
    by_pollutant = HAS_POLLUTANT
    certified_year = "p.status = %s AND p.accounting_year = %s"
    progress_args = [period.pk, today, today]
    pages = [
        Page(
            "home (positions, dashboards)",
            "/",
            [(POSITIONS, [user.entity_id]), (CITY_TOTALS, []), (CERTIFIED_BY_YEAR, [])],
        ),
        Page(
            f"ledger overview, busy ({BUSY})",
            f"/ledger/entity/{BUSY}/",
            [(POSITIONS, [busy.pk]), (RECENT, [busy.pk])],
        ),
        Page(
            "ledger overview, empty",
            f"/ledger/entity/{EMPTY}/",
            [(POSITIONS, [empty.pk]), (RECENT, [empty.pk])],
        ),
        Page(
            "statement, first (latest) page",
            f"/ledger/account/{busy_account}/",
            [(STATEMENT_DESC, {"a": busy_account})],
        ),
        Page(
            f"statement, middle (?date={mid_date})",
            f"/ledger/account/{busy_account}/?date={mid_date}",
            [(STATEMENT_ON_DATE, {"a": busy_account, "date": mid_date})],
        ),
        Page(
            "statement, earliest (?after=0)",
            f"/ledger/account/{busy_account}/?after=0",
            [(STATEMENT_ASC, {"a": busy_account, "after": 0})],
        ),
        Page(
            "projects",
            "/projects/",
            [
                (PROJECT_ROWS.format(where=projects_all), []),
                (PROJECT_COUNTS.format(where=projects_all), []),
            ],
        ),
        Page(
            "projects ?pollutant=COD",
            "/projects/?pollutant=COD",
            [
                (PROJECT_ROWS.format(where=by_pollutant), ["COD"]),
                (PROJECT_STATUSES.format(where=by_pollutant), ["COD"]),
            ],
        ),
        Page(
            "projects ?status=CERTIFIED&year=2024",
            "/projects/?status=CERTIFIED&year=2024",
            [
                (PROJECT_ROWS.format(where=certified_year), ["CERTIFIED", 2024]),
                (PROJECT_STATUSES.format(where=certified_year), ["CERTIFIED", 2024]),
            ],
        ),
        Page(
            f"progress {owner.code}",
            f"/allocations/progress/{owner.code}/?plan_period={period.pk}",
            [
                (CERTIFIED_SUMS.format(owner="p.owner_id = %s AND"), [owner.pk, *progress_args]),
                (TARGETS + " AND entity_id = %s", [period.pk, owner.pk]),
            ],
        ),
        Page(
            "progress overview",
            f"/allocations/progress/?plan_period={period.pk}",
            [
                # The page shows the first OVERVIEW_ENTITIES entities (by kind, then code).
                (OVERVIEW_PAGE, []),
                (
                    CERTIFIED_SUMS.format(owner=f"p.owner_id IN ({OVERVIEW_IDS}) AND"),
                    progress_args,
                ),
                (TARGETS + f" AND entity_id IN ({OVERVIEW_IDS})", [period.pk]),
            ],
        ),
        Page(
            "API transactions, first page",
            "/api/v1/transactions/",
            [
                (
                    API_TXN.format(
                        join="LEFT JOIN",
                        where="TRUE",
                        order="t.id DESC",
                        outer_order="page.id DESC",
                    ),
                    [],
                )
            ],
        ),
        Page(
            f"API transactions, deep (id < {mid_txn})",
            f"/api/v1/transactions/?cursor={drf_cursor(mid_txn)}",
            [
                (
                    API_TXN.format(
                        join="LEFT JOIN",
                        where="t.id < %s",
                        order="t.id DESC",
                        outer_order="page.id DESC",
                    ),
                    [mid_txn],
                )
            ],
        ),
        Page(
            f"API sync ?after_seq={mid_seq}",
            f"/api/v1/transactions/?after_seq={mid_seq}",
            [
                (
                    API_TXN.format(
                        join="JOIN", where="c.seq > %s", order="c.seq", outer_order="page.seq"
                    ),
                    [mid_seq],
                )
            ],
        ),
        Page(
            "API account",
            f"/api/v1/accounts/{busy_account}/",
            [(API_ACCOUNT, [busy_account])],
        ),
        Page("API projects", "/api/v1/projects/", [(API_PROJECTS, [])]),
    ]
    return [page for page in pages if _route_exists(page)]


def _route_exists(page: Page) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(urlsplit(page.url).path)
    except Resolver404:
        print(f"pages: skipped {page.name} — no route {urlsplit(page.url).path} yet")
        return False
    return True


# --- Report --------------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return seconds * 1000


def print_table(pages: list[Page]) -> None:
    header = (
        f"{'page':<42} {'seq p50':>7} {'p95':>6} {'p99':>6}  {'4cl p50':>7} {'p95':>6} "
        f"{'p99':>6}  {'bare p50':>8} {'p99':>6} {'ratio':>5}  goals"
    )
    print(f"\n== pages: ms, {N} sequential requests, {CLIENTS} clients × {N}; bare SQL {N} runs")
    print(header)
    print("-" * len(header))
    for page in pages:
        s = [ms(percentile(page.seq, p)) for p in (50, 95, 99)]
        c = [ms(percentile(page.conc, p)) for p in (50, 95, 99)]
        b50, b99 = ms(percentile(page.bare_times, 50)), ms(percentile(page.bare_times, 99))
        ratio_applies = b50 > BARE_FLOOR_MS
        ratio = s[2] / b99 if b99 else float("inf")
        misses = []
        if s[2] >= GOAL_SEQ_MS:
            misses.append("seq")
        if c[2] >= GOAL_CONC_MS:
            misses.append("4cl")
        if ratio_applies and ratio > GOAL_RATIO:
            misses.append("3×bare")
        if page.statuses != {200}:
            misses.append(f"HTTP {sorted(page.statuses)}")
        verdict = "ok" if not misses else "MISS " + ",".join(misses)
        taken = (len(page.seq), len(page.conc), len(page.bare_times))
        if taken != (N, CLIENTS * N, N):
            verdict += " (n={}/{}/{})".format(*taken)
        if page.restarts:
            verdict += f" (worker restarted ×{page.restarts})"
        ratio_text = f"{ratio:5.1f}" if ratio_applies else "    –"
        print(
            f"{page.name[:42]:<42} {s[0]:7.1f} {s[1]:6.1f} {s[2]:6.1f}  {c[0]:7.1f} {c[1]:6.1f} "
            f"{c[2]:6.1f}  {b50:8.2f} {b99:6.2f} {ratio_text}  {verdict}"
        )
    print(
        f"goals: p99 < {GOAL_SEQ_MS:g} ms sequential, < {GOAL_CONC_MS:g} ms with {CLIENTS} "
        f"clients; p99(seq)/p99(bare) ≤ {GOAL_RATIO:g} where bare p50 > {BARE_FLOOR_MS:g} ms"
    )
    for page in pages:
        print(f"  {page.name}: {page.url}")


def main() -> None:
    vendor = setup_django(fresh_sqlite=False)
    if vendor != "postgresql":
        print("pages: skipped — needs PostgreSQL (set DATABASE_URL=postgres://…)")
        return
    from django.db import connection
    from django.test import Client as DjangoClient

    from ledger.models import Entry
    from reductions.models import Project

    started = time.perf_counter()
    user = bench_user()
    busy_account, posting_time = prepare_legs(user)
    prepare_empty()
    project_time = prepare_projects(user)
    prepared = time.perf_counter() - started
    legs = Entry.objects.count()
    busy_legs = Entry.objects.filter(account_id=busy_account).count()
    projects = Project.objects.count()

    # Signing in logs through django-axes; the bench prints figures only.
    logging.getLogger("axes").setLevel(logging.WARNING)
    django_client = DjangoClient()
    django_client.force_login(user)
    cookie = f"sessionid={django_client.cookies['sessionid'].value}"
    pages = build_pages(user, busy_account)
    if ONLY:
        pages = [page for page in pages if any(word in page.name for word in ONLY)]
    # Measure the steady state: autovacuum would long have cleaned up after the load (the
    # commit numbering above alone leaves ledger_pendingcommit with every row dead).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    settings = connection.settings_dict
    from ledger_post import psycopg_dsn

    dsn = psycopg_dsn(settings)
    connection.close()

    load_before = os.getloadavg()[0]
    port = free_port()
    log = RESULTS / "pages-gunicorn.log"
    server = start_server(port, log)
    t_measure = time.perf_counter()
    try:
        for page in pages:
            measure(page, port, cookie, dsn, log)
            print(f"pages: measured {page.name}", flush=True)
    finally:
        stop_server(server)
    measured = time.perf_counter() - t_measure

    report(
        f"pages: {legs:,} legs ({busy_legs:,} on {BUSY} {BUSY_POLLUTANT}), {projects:,} projects,"
        f" gunicorn gthread {os.environ.get('GUNICORN_WORKERS', '4')}"
        f"×{os.environ.get('GUNICORN_THREADS', '2')}, signed in as the municipal clerk",
        [
            ("data ready in", f"{prepared:.1f} s"),
            ("  of which posting through post_batch", f"{posting_time:.1f} s"),
            ("  of which bulk-creating projects", f"{project_time:.1f} s"),
            ("measuring", f"{measured:.1f} s"),
            # Other work on the machine shows up in every figure: a 1-minute load average
            # well above the core count means the latencies are not the server's own.
            ("load average (1 min) before/after", f"{load_before:.2f} / {os.getloadavg()[0]:.2f}"),
        ],
    )
    print_table(pages)


if __name__ == "__main__":
    main()

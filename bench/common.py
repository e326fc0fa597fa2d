"""Shared set-up for benchmarks: a dedicated database beside the configured one.

With DATABASE_URL pointing at PostgreSQL, benchmarks use `<name>_bench` on the same server
(created and migrated on first use); otherwise a fresh SQLite file under bench/results/.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def setup_django(*, fresh_sqlite: bool = True) -> str:
    """Configure Django on the bench database; return its vendor ("postgresql"/"sqlite")."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quota_ledger.settings")
    url = os.environ.get("DATABASE_URL", "")
    RESULTS.mkdir(parents=True, exist_ok=True)
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        bench_name = parts.path.lstrip("/") + "_bench"
        _ensure_pg_database(url, bench_name)
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + bench_name))
    else:
        path = RESULTS / "bench.sqlite3"
        if fresh_sqlite and path.exists():
            path.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.pop("REDIS_URL", None)
    # Measure as production runs: DEBUG would record every query in memory.
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from ledger.demo import load_reference_data

    load_reference_data()
    return connection.vendor


def _ensure_pg_database(url: str, name: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def bench_user():
    from ledger.models import Entity, Role, User
    from ledger.services import set_roles

    bureau = Entity.objects.get(code="SHSEE")
    user, created = User.objects.get_or_create(username="bench", defaults={"entity": bureau})
    if created:
        set_roles(user=user, roles=[Role.MUNICIPAL_CLERK])
    return user


def report(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")

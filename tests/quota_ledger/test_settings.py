import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    base["DJANGO_SETTINGS_MODULE"] = "quota_ledger.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
    "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.DEBUG, s.ALLOWED_HOSTS)"
)


def test_embedded_defaults_are_sqlite_and_eager_celery():
    out = run_python(SHOW).stdout.split()
    assert out[0] == "django.db.backends.sqlite3"
    assert out[1].endswith("db.sqlite3")
    assert out[2:4] == ["True", "memory://"]


def test_database_and_redis_urls_switch_backends():
    out = run_python(
        SHOW,
        DATABASE_URL="postgres://alice@db.example:5432/ledger",
        REDIS_URL="redis://cache.example:6379/1",
    ).stdout.split()
    assert out[0] == "django.db.backends.postgresql"
    assert out[1] == "ledger"
    assert out[2:4] == ["False", "redis://cache.example:6379/1"]


def test_production_mode_requires_a_secret_key():
    result = run_python(SHOW, QUOTA_LEDGER_MODE="production", ALLOWED_HOSTS="ledger.example")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_in_production_mode():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "QUOTA_LEDGER_MODE": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "ledger.example",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_an_unknown_mode_is_refused_at_start_up():
    for mode in ("prod", "staging", ""):
        result = run_python(SHOW, QUOTA_LEDGER_MODE=mode)
        assert result.returncode != 0, mode
        assert "ImproperlyConfigured" in result.stderr
        assert "QUOTA_LEDGER_MODE" in result.stderr and "'development' or 'production'" in (
            result.stderr
        )


def test_the_known_modes_start():
    assert run_python(SHOW, QUOTA_LEDGER_MODE="development").returncode == 0
    production = run_python(
        SHOW, QUOTA_LEDGER_MODE="production", SECRET_KEY="x" * 60, ALLOWED_HOSTS="ledger.example"
    )
    assert production.returncode == 0, production.stderr


SESSION = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SESSION_COOKIE_AGE, 'ledger.web_access.IdleSessionMiddleware' in s.MIDDLEWARE)"
)


def test_idle_session_timeout_comes_from_the_environment():
    assert run_python(SESSION).stdout.split() == ["1800", "True"]
    assert run_python(SESSION, SESSION_IDLE_TIMEOUT_MINUTES="15").stdout.split() == [
        "900",
        "True",
    ]
    refused = run_python(SESSION, SESSION_IDLE_TIMEOUT_MINUTES="0")
    assert refused.returncode != 0 and "SESSION_IDLE_TIMEOUT_MINUTES" in refused.stderr


def test_an_unknown_private_file_server_is_refused():
    result = run_python(SHOW, PRIVATE_FILES_SERVER="apache")
    assert result.returncode != 0 and "PRIVATE_FILES_SERVER" in result.stderr
    ok = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PRIVATE_FILES_SERVER, s.PRIVATE_FILES_ACCEL_PREFIX)",
        PRIVATE_FILES_SERVER="nginx",
        PRIVATE_FILES_ACCEL_PREFIX="protected",
    )
    assert ok.stdout.split() == ["nginx", "/protected/"]


def test_connections_persist_with_health_checks_by_default():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    postgres = {"DATABASE_URL": "postgres://alice@db.example:5432/ledger"}
    assert run_python(code, **postgres).stdout.split() == ["600", "True"]
    assert run_python(code, DB_CONN_MAX_AGE="0", **postgres).stdout.split() == ["0", "True"]

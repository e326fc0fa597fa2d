"""Issue 9 item 4: the compose stack is production-only, with no demo users or default
secrets, two database roles, PID-1 gunicorn and health checks for every service.

Docker cannot run here; these tests read the files the stack is made of.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_production_without_demo_data_or_default_secrets(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    assert "load_demo" not in text
    assert "${SECRET_KEY:?" in text
    assert "${POSTGRES_PASSWORD:?" in text and "${QUOTA_APP_DB_PASSWORD:?" in text
    for name in ("migrate", "web", "worker", "beat"):
        environment = compose["services"][name]["environment"]
        assert environment["QUOTA_LEDGER_MODE"] == "production", name
    script = (ROOT / "bin" / "migrate-as-owner").read_text()
    assert "load_demo" not in script
    steps = [line.split()[2] for line in script.splitlines() if line.startswith("python manage.py")]
    assert steps == ["migrate", "grant_app_privileges", "load_reference"]


def test_the_application_connects_as_the_app_role_and_only_migrate_knows_the_owner(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://quota_app:"), name
        assert "DATABASE_OWNER_URL" not in environment, name
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_OWNER_URL"].startswith("postgres://quota:")
    assert migrate["command"] == ["bin/migrate-as-owner"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    init = services["db"]["volumes"]
    assert any(v.endswith("/docker-entrypoint-initdb.d/10-app-role.sh:ro") for v in init)
    role_script = (ROOT / "deploy" / "postgres" / "10-app-role.sh").read_text()
    assert "NOSUPERUSER" in role_script and "quota_app" in role_script


def test_gunicorn_is_pid_1_and_every_service_has_a_health_check(compose):
    services = compose["services"]
    assert services["web"]["command"][0] == "gunicorn"  # exec form: no shell in between
    assert 'CMD ["gunicorn",' in (ROOT / "Dockerfile").read_text()
    for name in ("db", "redis", "web", "worker", "beat"):
        assert services[name].get("healthcheck"), name
    assert "celerybeat@$$HOSTNAME" in services["beat"]["healthcheck"]["test"][1]
    assert "/healthz" in services["web"]["healthcheck"]["test"][-1]


def test_gunicorn_config_uses_gthread_workers_for_two_cores():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--print-config",
            "quota_ledger.wsgi:application",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    config = dict(
        (line.split("=", 1)[0].strip(), line.split("=", 1)[1].strip())
        for line in result.stdout.splitlines()
        if "=" in line
    )
    assert config["worker_class"] == "gthread"
    assert (config["workers"], config["threads"]) == ("4", "2")


def test_dockerignore_keeps_local_things_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for entry in (".venv", ".git", "db.sqlite3", ".env", "media", "node_modules"):
        assert entry in ignored, entry
    assert {".pytest_cache", ".hypothesis"} <= ignored


@pytest.mark.skipif(
    not (shutil.which("docker-compose") or shutil.which("docker")), reason="no compose CLI"
)
def test_compose_config_is_valid_and_refuses_a_missing_secret():
    command = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "POSTGRES_PASSWORD")}
    secrets = {"SECRET_KEY": "k" * 50, "POSTGRES_PASSWORD": "o", "QUOTA_APP_DB_PASSWORD": "a"}
    probe = subprocess.run([*command, "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("no Compose here: the docker CLI has no compose plugin")
    run = [*command, "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"]
    ok = subprocess.run(run, env={**base, **secrets}, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    missing = subprocess.run(
        run, env={**base, **secrets, "SECRET_KEY": ""}, capture_output=True, text=True
    )
    assert missing.returncode != 0 and "SECRET_KEY" in missing.stderr


# --- health checks ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_without_host_https_or_session(settings):
    settings.ALLOWED_HOSTS = ["ledger.example"]
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/healthz", headers={"host": "172.18.0.5:8000"})
    assert response.status_code == 200 and response.content == b"ok"
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_healthz_says_503_when_the_database_is_down(monkeypatch):
    from django.db import OperationalError, connection

    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503


@pytest.mark.redis
def test_beat_answers_the_health_check_ping(tmp_path):
    node = f"celerybeat-test-{os.getpid()}@{socket.gethostname()}"
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "quota_ledger",
            "beat",
            "--loglevel",
            "WARNING",
            "--schedule",
            str(tmp_path / "schedule"),
            "--hostname",
            node,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        answered = None
        while time.monotonic() < deadline:
            # The command the compose health check runs.
            answered = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "quota_ledger",
                    "inspect",
                    "ping",
                    "-d",
                    node,
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if answered.returncode == 0:
                break
            time.sleep(1)
        assert answered is not None and answered.returncode == 0, answered.stdout + answered.stderr
        assert "pong" in answered.stdout
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=20)
        except subprocess.TimeoutExpired:
            beat.kill()
    stopped = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "quota_ledger", "inspect", "ping", "-d", node],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stopped.returncode != 0

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from quota_ledger.celery import app, ping

ROOT = Path(__file__).resolve().parents[2]


def test_tasks_run_eagerly_without_redis():
    assert ping.delay().get(timeout=5) == "pong"


@pytest.mark.redis
def test_task_runs_through_real_redis_broker_and_worker_process():
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "quota_ledger",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": settings.REDIS_URL},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 60
        replies = None
        while time.monotonic() < deadline and not replies:
            replies = app.control.ping(timeout=1.0)
        assert replies, "the Celery worker did not come up"
        result = ping.apply_async()
        assert result.get(timeout=30) == "pong"
        assert result.successful()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_every_scheduled_job_names_a_registered_task():
    """The beat schedule: nightly reconciliation, the daily digest, export retention and hold
    expiry, each a task the worker knows (a typo would never run and never fail)."""
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "ledger.tasks.reconcile_ledger",
        "ledger.tasks.write_digest",
        "ledger.tasks.number_commits",
        "ledger.tasks.expire_statement_exports",
        "allocations.tasks.expire_use_requests",
        "allocations.tasks.expire_import_uploads",
    }
    for name in scheduled:
        importlib.import_module(name.rsplit(".", 1)[0])
    assert scheduled <= set(app.tasks)


# As beat runs it: outside any transaction (the digest takes its own repeatable-read snapshot).
@pytest.mark.django_db(transaction=True)
def test_the_daily_digest_task_writes_a_digest():
    from ledger.models import LedgerDigest
    from ledger.tasks import write_digest

    value = write_digest.delay().get(timeout=5)
    assert LedgerDigest.objects.get().digest == value

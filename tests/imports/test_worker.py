"""Issue 11 item 4: a large file is checked and imported by a real Celery worker on Redis,
and the job's progress (rows done / total) moves while it runs."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from allocations.models import ImportJob, ImportStatus
from quota_ledger.celery import app
from reductions.models import Project

from .test_imports import last_job, project_row, upload, xlsx

ROOT = Path(__file__).resolve().parents[2]
ROWS = 1200


def poll(client, job: ImportJob, until: set[str], seen: set[int]) -> dict:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        data = client.get(
            reverse("imports:job", args=[job.pk]), headers={"Accept": "application/json"}
        ).json()
        seen.add(data["rows_done"])
        if data["status"] in until:
            return data
        time.sleep(0.05)
    raise AssertionError(f"the import did not finish: {data}")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_large_file_runs_in_a_real_worker_with_progress(client_for, district_clerk, settings):
    settings.IMPORT_ASYNC_ROWS = 100
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
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
            f"import-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "REDIS_URL": django_settings.REDIS_URL,
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not app.control.ping(timeout=1.0):
            pass
        client = client_for(district_clerk)
        upload(client, "projects", xlsx([project_row(n) for n in range(1, ROWS + 1)]))
        job = last_job()
        seen: set[int] = set()
        checked = poll(client, job, {ImportStatus.CHECKED, ImportStatus.FAILED}, seen)
        assert checked["counts"]["new"] == ROWS, checked
        assert Project.objects.count() == 0
        seen.clear()
        client.post(reverse("imports:confirm", args=[job.pk]))
        done = poll(client, job, {ImportStatus.DONE, ImportStatus.FAILED}, seen)
        assert done["status"] == ImportStatus.DONE, done
        assert Project.objects.count() == ROWS
        assert any(0 < n < ROWS for n in seen), sorted(seen)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()

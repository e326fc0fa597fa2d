"""Uploaded import files are deleted after IMPORT_UPLOAD_RETENTION_DAYS (beat task and
management command); the job rows stay as the record of who imported what."""

import datetime
import io

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from allocations.models import ImportJob, ImportStatus
from allocations.tasks import expire_import_uploads
from reductions.models import Project

from .test_imports import last_job, project_row, upload, xlsx

pytestmark = pytest.mark.django_db


def age(job: ImportJob, days: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        requested_at=timezone.now() - datetime.timedelta(days=days)
    )


@pytest.fixture
def jobs(client_for, district_clerk):
    """An imported job, one waiting for confirmation (both old) and a fresh one."""
    client = client_for(district_clerk)
    upload(client, "projects", xlsx([project_row(1)]))
    done = last_job()
    client.post(reverse("imports:confirm", args=[done.pk]))
    upload(client, "projects", xlsx([project_row(2)]))
    waiting = last_job()
    upload(client, "projects", xlsx([project_row(3)]))
    fresh = last_job()
    age(done, 31)
    age(waiting, 31)
    age(fresh, 29)
    for job in (done, waiting, fresh):
        job.refresh_from_db()
        assert default_storage.exists(job.file.name)
    return done, waiting, fresh


def test_the_beat_task_deletes_old_files_and_keeps_the_record(
    jobs, client_for, district_clerk, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 30
    done, waiting, fresh = jobs
    names = {job.pk: job.file.name for job in jobs}
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_import_uploads() == 2
    assert not default_storage.exists(names[done.pk])
    assert not default_storage.exists(names[waiting.pk])
    assert default_storage.exists(names[fresh.pk])
    for job in jobs:
        job.refresh_from_db()
    # The record of what was imported, and by whom, stays.
    assert (done.status, done.file.name, done.imported) == (ImportStatus.DONE, "", 1)
    assert done.requested_by == district_clerk and done.filename == "projects.xlsx"
    assert done.counts["new"] == 1 and done.preview[0]["label"] == "PD-00001"
    # A job never confirmed can no longer be, and says why.
    assert waiting.status == ImportStatus.FAILED and "30" in waiting.error
    client = client_for(district_clerk)
    response = client.post(reverse("imports:confirm", args=[waiting.pk]), follow=True)
    page = response.content.decode()
    assert "该文件不在待导入状态。" in page
    assert "上传的文件已在 30 天后删除，未导入；请重新上传。" in page
    assert not Project.objects.filter(number="PD-00002").exists()
    assert fresh.status == ImportStatus.CHECKED and fresh.file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_import_uploads() == 0


def test_the_management_command_takes_a_retention(jobs, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_import_uploads", "--days", "10", stdout=out)
    assert "3" in out.getvalue()
    assert not ImportJob.objects.exclude(file="").exists()
    with pytest.raises(CommandError):
        call_command("expire_import_uploads", "--days", "-1")


def test_the_retention_task_is_scheduled_daily():
    entries = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "allocations.tasks.expire_import_uploads"
    ]
    assert entries and entries[0]["schedule"] == 24 * 60 * 60

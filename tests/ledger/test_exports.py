"""Issue 9 item 3: statement exports are their requester's, random-named, and expire."""

import datetime
import importlib
import re
from importlib import import_module
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import Resolver404, clear_url_caches, resolve, reverse
from django.utils import timezone

from ledger.models import ExportStatus, StatementExport
from ledger.services import set_roles
from ledger.tasks import expire_statement_exports
from tests.factories import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(client_for, district_clerk, municipal_clerk, pudong) -> StatementExport:
    fund(pudong, "COD", "3", user=municipal_clerk)
    client_for(district_clerk).post(reverse("ledger:export_start", args=[pudong.code]), {})
    job = StatementExport.objects.get()
    assert job.status == ExportStatus.DONE
    return job


def download(client, job):
    return client.get(reverse("ledger:export_download", args=[job.pk]))


def test_the_file_has_a_random_name_and_downloads_under_a_readable_one(
    client_for, district_clerk, job
):
    assert re.fullmatch(r"exports/\d{4}/\d{2}/[0-9a-f]{32}\.xlsx", job.file.name)
    assert "310115" not in job.file.name
    assert job.filename.startswith("总量指标台账 浦东新区 ") and job.filename.endswith(".xlsx")
    response = download(client_for(district_clerk), job)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"PK\x03\x04"
    assert f"filename*=UTF-8''{quote(job.filename, safe='')}" in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("user_fixture", ["district_approver", "other_district_clerk", "auditor"])
def test_nobody_else_can_download_an_export(request, client_for, job, user_fixture):
    # Even users who may see the entity's ledger: an export is its requester's own.
    response = download(client_for(request.getfixturevalue(user_fixture)), job)
    assert response.status_code == 404


def test_anonymous_users_cannot_download_an_export(job):
    response = download(Client(), job)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_requester_who_lost_the_right_cannot_download(client_for, district_clerk, job):
    set_roles(user=district_clerk, roles=[])
    assert download(client_for(district_clerk), job).status_code == 403


def test_an_export_written_before_random_names_still_downloads(client_for, district_clerk, pudong):
    stored = default_storage.save(
        "exports/2026/11/statement-310115-20261101-1.xlsx", ContentFile(b"PK\x03\x04old")
    )
    job = StatementExport.objects.create(
        entity=pudong, requested_by=district_clerk, status=ExportStatus.DONE, file=stored
    )
    migration = import_module("ledger.migrations.0005_statement_export_private_files")
    migration.keep_existing_download_names(apps, None)
    job.refresh_from_db()
    assert job.filename == "statement-310115-20261101-1.xlsx"
    assert job.finished_at == job.requested_at
    response = download(client_for(district_clerk), job)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK\x03\x04old"
    assert 'filename="statement-310115-20261101-1.xlsx"' in response["Content-Disposition"]


# --- retention ------------------------------------------------------------------------------


def test_old_exports_are_deleted_by_the_beat_task(
    client_for, district_clerk, job, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_RETENTION_DAYS = 7
    stored = job.file.name
    fresh = StatementExport.objects.create(
        entity=job.entity,
        requested_by=district_clerk,
        status=ExportStatus.DONE,
        file=default_storage.save("exports/2026/11/fresh.xlsx", ContentFile(b"PK")),
        finished_at=timezone.now() - datetime.timedelta(days=6),
    )
    StatementExport.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=8)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_statement_exports() == 1
    assert not default_storage.exists(stored)
    assert default_storage.exists(fresh.file.name)
    job.refresh_from_db()
    assert (job.status, job.file.name) == (ExportStatus.EXPIRED, "")
    assert job.expired_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_statement_exports() == 0

    client = client_for(district_clerk)
    status = client.get(
        reverse("ledger:export", args=[job.pk]), headers={"Accept": "application/json"}
    )
    assert status.json()["status"] == "EXPIRED" and status.json()["expired"]
    assert status.json()["download"] is None
    page = client.get(reverse("ledger:export", args=[job.pk])).content.decode()
    assert "超过保留期限被删除" in page and "已过期" in page
    response = client.get(reverse("ledger:export_download", args=[job.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("ledger:export", args=[job.pk])
    assert "该文件已超过保留期限并被删除，请重新导出。" in response.content.decode()


def test_the_retention_task_is_scheduled():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "ledger.tasks.expire_statement_exports" in tasks


def test_the_status_page_says_how_long_the_file_is_kept(client_for, district_clerk, job, settings):
    settings.EXPORT_RETENTION_DAYS = 3
    page = client_for(district_clerk).get(reverse("ledger:export", args=[job.pk]))
    assert "文件生成后保留 3 天。" in page.content.decode()


# --- no /media/ route -----------------------------------------------------------------------


@pytest.fixture
def urls_with_debug(settings):
    """The root URLconf as it is built with DEBUG on (where the media route used to be)."""
    import quota_ledger.urls

    settings.DEBUG = True
    importlib.reload(quota_ledger.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(quota_ledger.urls)
    clear_url_caches()


@pytest.mark.parametrize("debug", [False, True])
def test_no_media_url_resolves(request, debug, job):
    if debug:
        request.getfixturevalue("urls_with_debug")
    for path in (f"/media/{job.file.name}", "/media/evidence/2025/06/x.pdf", "/media/"):
        with pytest.raises(Resolver404):
            resolve(path)
    assert Client().get(f"/media/{job.file.name}").status_code == 404

"""Issue 9 item 3: evidence is private, stored under random names, checked by its bytes."""

import io
import re
import zipfile
from importlib import import_module
from urllib.parse import quote

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from reductions.models import Attachment
from tests.factories import make_project

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active["A1"] = "监测数据"
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name.replace("__", "/"), content)
    return buffer.getvalue()


@pytest.fixture
def project(district_clerk):
    return make_project(district_clerk, submit=False)


def upload(client, project, name: str, content: bytes):
    return client.post(
        reverse("reductions:attachment", args=[project.pk]),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- type checked from the bytes ----------------------------------------------------------


def test_a_text_file_named_pdf_is_refused(client_for, district_clerk, project):
    page = upload(client_for(district_clerk), project, "监测报告.pdf", b"just text, not a PDF")
    text = page.content.decode()
    assert "监测报告.pdf 的内容不是 PDF 文件" in text and "已按文件内容检查" in text
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.pdf", PNG),
        ("scan.png", JPEG),
        ("scan.jpg", PDF),
        ("sheet.xlsx", zip_bytes(hello__txt=b"a zip, not a workbook")),
        (
            "macro.xlsx",
            zip_bytes(
                **{
                    "[Content_Types].xml": b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                    "xl__workbook.xml": b"<workbook/>",
                }
            ),
        ),
        ("sheet.xlsx", b"PK\x03\x04 broken"),
    ],
)
def test_content_must_match_the_extension(client_for, district_clerk, project, name, content):
    page = upload(client_for(district_clerk), project, name, content)
    assert "已按文件内容检查" in page.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("报告.pdf", PDF), ("现场.PNG", PNG), ("现场.jpeg", JPEG), ("数据.xlsx", None)],
)
def test_real_files_are_accepted_under_random_names(
    client_for, district_clerk, project, name, content
):
    content = content if content is not None else xlsx_bytes()
    page = upload(client_for(district_clerk), project, name, content)
    assert "已添加" in page.content.decode()
    attachment = Attachment.objects.get()
    assert attachment.original_name == name
    extension = name.rsplit(".", 1)[1].lower()
    assert re.fullmatch(
        rf"evidence/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\.{extension}", attachment.file.name
    )
    assert default_storage.open(attachment.file.name).read() == content


def test_two_uploads_with_one_name_get_different_stored_names(client_for, district_clerk, project):
    client = client_for(district_clerk)
    upload(client, project, "报告.pdf", PDF)
    upload(client, project, "报告.pdf", PDF)
    first, second = Attachment.objects.order_by("pk")
    assert first.file.name != second.file.name
    assert first.original_name == second.original_name == "报告.pdf"


# --- downloads only for those who may see the project ---------------------------------------


@pytest.fixture
def evidence(client_for, district_clerk, project):
    upload(client_for(district_clerk), project, "监测报告 2025.pdf", PDF)
    return Attachment.objects.get()


def download_url(attachment) -> str:
    return reverse("reductions:attachment_download", args=[attachment.project_id, attachment.pk])


def test_the_owner_downloads_evidence_under_its_original_name(client_for, district_clerk, evidence):
    response = client_for(district_clerk).get(download_url(evidence))
    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('监测报告 2025.pdf', safe='')}" in disposition
    assert evidence.file.name.rsplit("/", 1)[1] not in disposition
    assert "no-store" in response["Cache-Control"]


def test_the_detail_page_links_to_the_checked_download(client_for, district_clerk, evidence):
    page = client_for(district_clerk).get(reverse("reductions:detail", args=[evidence.project_id]))
    text = page.content.decode()
    assert download_url(evidence) in text
    assert evidence.file.name not in text


def test_municipal_reviewers_may_download(client_for, municipal_clerk, evidence):
    assert client_for(municipal_clerk).get(download_url(evidence)).status_code == 200


@pytest.mark.parametrize("user_fixture", ["other_district_clerk", "enterprise_user"])
def test_other_entities_cannot_download(request, client_for, evidence, user_fixture):
    response = client_for(request.getfixturevalue(user_fixture)).get(download_url(evidence))
    assert response.status_code == 403
    assert not hasattr(response, "streaming_content")


def test_anonymous_users_are_sent_to_log_in(evidence):
    response = Client().get(download_url(evidence))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_evidence_of_another_project_is_not_found_through_this_one(
    client_for, district_clerk, evidence
):
    other = make_project(district_clerk, submit=False)
    url = reverse("reductions:attachment_download", args=[other.pk, evidence.pk])
    assert client_for(district_clerk).get(url).status_code == 404


def test_the_front_server_can_deliver_the_file(client_for, district_clerk, evidence, settings):
    client = client_for(district_clerk)
    settings.PRIVATE_FILES_SERVER = "nginx"
    settings.PRIVATE_FILES_ACCEL_PREFIX = "/_private/"
    response = client.get(download_url(evidence))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_private/{evidence.file.name}"
    assert response.content == b""
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    settings.PRIVATE_FILES_SERVER = "sendfile"
    response = client.get(download_url(evidence))
    assert response["X-Sendfile"] == default_storage.path(evidence.file.name)
    assert response.content == b""


def test_the_front_server_header_is_not_given_to_refused_users(
    client_for, other_district_clerk, evidence, settings
):
    settings.PRIVATE_FILES_SERVER = "nginx"
    response = client_for(other_district_clerk).get(download_url(evidence))
    assert response.status_code == 403
    assert "X-Accel-Redirect" not in response


# --- evidence stored before random names keeps working --------------------------------------


def test_evidence_stored_under_its_old_readable_name_still_downloads(
    client_for, district_clerk, project
):
    stored = default_storage.save("evidence/2025/06/监测报告.pdf", ContentFile(PDF))
    attachment = Attachment.objects.create(
        project=project, file=stored, original_name="", uploaded_by=district_clerk
    )
    migration = import_module("reductions.migrations.0006_attachment_random_names")
    migration.keep_existing_download_names(apps, None)
    attachment.refresh_from_db()
    assert attachment.original_name == "监测报告.pdf"
    response = client_for(district_clerk).get(download_url(attachment))
    assert response.status_code == 200 and body(response) == PDF
    assert quote("监测报告.pdf", safe="") in response["Content-Disposition"]

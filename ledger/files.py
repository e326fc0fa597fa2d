"""Private files: evidence, statement exports, bundle sheets.

- Stored under random names (:class:`RandomName`), so no one can guess another file's
  address; the name the user gave (or the one we chose for an export) is kept on the row and
  used only for the download.
- Uploaded files are checked by their bytes (:func:`detected_type`), not only their extension.
- Served only by views that checked the permission module first
  (:func:`private_file_response`): streamed by Django, or handed to the front web server
  with ``X-Accel-Redirect`` (nginx) or ``X-Sendfile`` (Apache, lighttpd) when
  ``PRIVATE_FILES_SERVER`` says so. There is no ``/media/`` route.
"""

import mimetypes
import os
import re
import unicodedata
import uuid
import zipfile
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.deconstruct import deconstructible

# Kinds of file we accept, as detected from the bytes, and the extensions each may carry.
PDF, PNG, JPEG, XLSX = "pdf", "png", "jpeg", "xlsx"
EXTENSION_KINDS = {".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG, ".xlsx": XLSX}
CONTENT_TYPES = {
    PDF: "application/pdf",
    PNG: "image/png",
    JPEG: "image/jpeg",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# An .xlsx workbook's main part; macro-enabled (.xlsm) and template (.xltx) workbooks
# declare other content types and are refused.
XLSX_MAIN_PART = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CONTENT_TYPES_PART = "[Content_Types].xml"
MAX_CONTENT_TYPES_BYTES = 1024 * 1024


@deconstructible
class RandomName:
    """``upload_to`` that stores a file as ``<folder>/<yyyy>/<mm>/<random hex><.ext>``.

    Only the (lower-cased) extension of the given name survives; the original name goes in
    a field of the row.
    """

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        extension = os.path.splitext(filename or "")[1].lower()
        if not re.fullmatch(r"\.[a-z0-9]{1,8}", extension):
            extension = ""
        now = timezone.localtime()
        return f"{self.folder}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{extension}"

    def __eq__(self, other) -> bool:
        return isinstance(other, RandomName) and other.folder == self.folder


def kind_for_extension(name: str) -> str | None:
    return EXTENSION_KINDS.get(os.path.splitext(name or "")[1].lower())


def _is_xlsx(upload) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if CONTENT_TYPES_PART not in names or "xl/workbook.xml" not in names:
                return False
            with archive.open(CONTENT_TYPES_PART) as part:
                declared = part.read(MAX_CONTENT_TYPES_BYTES)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError):
        return False
    return XLSX_MAIN_PART in declared


def detected_type(upload) -> str | None:
    """What the file is by its bytes (magic numbers): PDF, PNG, JPEG, XLSX, or None.

    The file's position is restored, so it can be saved afterwards.
    """
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        head = upload.read(8)
        if head.startswith(b"%PDF-"):
            return PDF
        if head == b"\x89PNG\r\n\x1a\n":
            return PNG
        if head.startswith(b"\xff\xd8\xff"):
            return JPEG
        if head.startswith(b"PK\x03\x04"):
            upload.seek(0)
            return XLSX if _is_xlsx(upload) else None
        return None
    finally:
        upload.seek(position)


def download_name(name: str, default: str = "download") -> str:
    """A safe name for the download: no folders, control characters or quotes."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '"')
    return name.strip(" .") or default


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987), so
    a Chinese file name arrives intact in every current browser."""
    name = download_name(name)
    if name.isascii():
        fallback = name
    else:
        extension = os.path.splitext(name)[1]
        fallback = "download" + (extension if extension.isascii() else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def private_file_response(
    file: FieldFile, *, filename: str, content_type: str | None = None
) -> HttpResponse:
    """The response that delivers a stored private file as an attachment named ``filename``.

    Call it only after the permission check. ``PRIVATE_FILES_SERVER``: ``""`` streams the
    file from Django; ``"nginx"`` answers with ``X-Accel-Redirect`` to
    ``PRIVATE_FILES_ACCEL_PREFIX`` + the stored name (an ``internal`` location in nginx);
    ``"sendfile"`` answers with ``X-Sendfile`` and the file's absolute path.
    """
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    server = settings.PRIVATE_FILES_SERVER
    if server:
        response = HttpResponse(content_type=content_type)
        if server == "nginx":
            response["X-Accel-Redirect"] = settings.PRIVATE_FILES_ACCEL_PREFIX + quote(file.name)
        else:
            response["X-Sendfile"] = file.storage.path(file.name)
    else:
        response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    # Never kept by a shared cache: the next person may not be allowed to see it.
    response["Cache-Control"] = "private, no-store"
    return response


def generated_file_response(path, *, filename: str, content_type: str) -> FileResponse:
    """Stream a file written for this request (e.g. a bundle sheet) from a temporary path;
    the file is removed as soon as it is open, so nothing is left behind."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the response
    os.unlink(path)
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["Cache-Control"] = "private, no-store"
    return response

"""Private file helpers (ledger/files.py): names, content dispositions, type detection."""

import io
import re

from ledger import files


def test_random_name_keeps_only_a_plain_extension():
    upload_to = files.RandomName("evidence")
    assert re.fullmatch(
        r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", upload_to(None, "../../报告.PDF")
    )
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}", upload_to(None, "x.p/df"))
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}", upload_to(None, "noextension"))
    assert upload_to(None, "a.pdf") != upload_to(None, "a.pdf")


def test_download_names_lose_folders_quotes_and_control_characters():
    assert files.download_name('..\\..\\evil"\r\nname.pdf') == "evilname.pdf"
    assert files.download_name("/etc/passwd") == "passwd"
    assert files.download_name("...") == "download"


def test_content_disposition_carries_the_exact_utf8_name_and_an_ascii_fallback():
    assert files.content_disposition("report.pdf") == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )
    header = files.content_disposition("监测 报告.pdf")
    assert header == (
        'attachment; filename="download.pdf"; '
        "filename*=UTF-8''%E7%9B%91%E6%B5%8B%20%E6%8A%A5%E5%91%8A.pdf"
    )
    assert "\n" not in files.content_disposition("a\nb.pdf")


def test_type_detection_reads_the_bytes_and_leaves_the_file_where_it_was():
    handle = io.BytesIO(b"%PDF-1.4 rest")
    handle.seek(3)
    assert files.detected_type(handle) == files.PDF
    assert handle.tell() == 3
    assert files.detected_type(io.BytesIO(b"<html>")) is None
    assert files.detected_type(io.BytesIO(b"")) is None
    assert files.kind_for_extension("A.JPG") == files.JPEG
    assert files.kind_for_extension("a.exe") is None

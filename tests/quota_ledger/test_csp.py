"""Issue 9 item 4: a Content-Security-Policy, and templates with nothing inline it would block."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]

# <script> without src (an inline script), on…= handlers, javascript: URLs, style="…"
# attributes and <style> blocks: all refused by our policy.
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
}


def project_templates() -> list[Path]:
    return sorted(p for folder in TEMPLATE_DIRS for p in folder.rglob("*.html"))


def test_there_are_templates_to_scan():
    names = {p.name for p in project_templates()}
    assert {"base.html", "project_detail.html", "overview.html", "export_status.html"} <= names


@pytest.mark.parametrize("path", project_templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_contain_nothing_inline(path):
    text = path.read_text(encoding="utf-8")
    found = [
        f"{kind}: {match.group(0)[:80]}"
        for kind, pattern in INLINE.items()
        for match in pattern.finditer(text)
    ]
    assert not found, found


def test_the_scan_catches_what_it_should():
    samples = {
        "inline script": "<script>alert(1)</script>",
        "event handler": '<select onchange="this.form.submit()">',
        "javascript: URL": '<a href="javascript:void(0)">',
        "style attribute": '<div style="width: 5%">',
        "style element": "<style>p{}</style>",
    }
    for kind, sample in samples.items():
        assert INLINE[kind].search(sample), kind
    assert not INLINE["inline script"].search('<script src="/static/js/app.js"></script>')


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()
    }


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_carry_a_strict_policy(client_for, client, district_clerk, signed_in):
    if signed_in:
        client = client_for(district_clerk)
    response = client.get(reverse("login") if not signed_in else "/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_language_switch_works_from_a_static_script(client):
    page = client.get(reverse("login")).content.decode()
    assert "data-autosubmit" in page and "/static/js/app.js" in page
    script = (ROOT / "static" / "js" / "app.js").read_text()
    assert "select[data-autosubmit]" in script and "submit()" in script

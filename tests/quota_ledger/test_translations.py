"""Every user-facing string of the code and templates has a zh_Hans translation.

Django's own extraction (makemessages, which drives GNU xgettext) runs over a copy of the
sources into a temporary locale folder; the committed .po is only read. A msgid that the
.po lacks, leaves untranslated, or marks fuzzy fails the test, listed with its source line.
"""

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.conftest import _skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# What `make messages` extracts from: the apps, the project package and the templates.
SOURCES = ["quota_ledger", "ledger", "reductions", "allocations", "templates"]


@pytest.fixture
def extracted(tmp_path) -> polib.POFile:
    if shutil.which("xgettext") is None:
        _skip_or_fail("GNU gettext (xgettext) is needed: apt-get install gettext")
    tree = tmp_path / "src"
    for name in SOURCES:
        shutil.copytree(
            ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "migrations")
        )
    (tree / "locale").mkdir()
    cwd = Path.cwd()
    os.chdir(tree)
    try:
        # makemessages writes into LOCALE_PATHS[0]: the copy's, never the committed one.
        with override_settings(LOCALE_PATHS=[tree / "locale"]):
            call_command("makemessages", locale=["zh_Hans"], domain="django", verbosity=0)
    finally:
        os.chdir(cwd)
    return polib.pofile(str(tree / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def untranslated(extracted: polib.POFile, committed: polib.POFile) -> list[str]:
    problems = []
    for entry in extracted:
        if not entry.msgid:
            continue
        found = committed.find(entry.msgid, msgctxt=entry.msgctxt or False)
        where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:2])
        if found is None:
            problem = "missing"
        elif "fuzzy" in found.flags:
            problem = "fuzzy"
        elif not (found.msgstr or any(found.msgstr_plural.values())) or (
            entry.msgid_plural and not all(found.msgstr_plural.values())
        ):
            problem = "empty"
        else:
            continue
        problems.append(f"{problem}: {entry.msgid!r} ({where})")
    return problems


def test_every_string_has_a_chinese_translation(extracted):
    # A msgid twice (say, from a union merge of two branches) breaks msgfmt: refused here too.
    committed = polib.pofile(str(COMMITTED), check_for_duplicates=True)
    assert len(extracted) > 100, "extraction found almost nothing"
    problems = untranslated(extracted, committed)
    assert not problems, f"{len(problems)} strings lack a zh_Hans translation:\n" + "\n".join(
        problems
    )


def test_the_check_reports_missing_empty_and_fuzzy_entries():
    extracted = polib.POFile()
    for msgid in ("Kept", "Missing", "Empty", "Fuzzy"):
        extracted.append(polib.POEntry(msgid=msgid, occurrences=[("x.py", "1")]))
    committed = polib.POFile()
    committed.append(polib.POEntry(msgid="Kept", msgstr="保留"))
    committed.append(polib.POEntry(msgid="Empty", msgstr=""))
    committed.append(polib.POEntry(msgid="Fuzzy", msgstr="模糊", flags=["fuzzy"]))
    assert untranslated(extracted, committed) == [
        "missing: 'Missing' (x.py:1)",
        "empty: 'Empty' (x.py:1)",
        "fuzzy: 'Fuzzy' (x.py:1)",
    ]

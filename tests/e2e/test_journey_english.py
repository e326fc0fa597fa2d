"""Journey: every role switches to English and walks its main pages; no Chinese system text
is left.

The database holds the demo records (made through the services, with Chinese names,
comments and reasons as a bureau types them). On each page, what users typed — project and
enterprise names, measures, comments, reasons, document and certificate numbers, file
names — may stay Chinese; everything else (labels, statuses, kinds, tier reasons, stored
references such as "分配批次 #1", seeded policy notes, names of reference data with an
English name) must be English. Each role walks every link of its top navigation and the
first record linked from each of those pages. The same walk in Chinese shows no stored code
raw (DISTRICT_CLERK, MICRO_CREDIT) and none of Django's English defaults.
"""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from allocations.models import (
    AllocationLine,
    AllocationRound,
    ConstructionProject,
    ImportJob,
    ReserveIntake,
    RoundStep,
    TargetChange,
    TradeRecord,
    UseLine,
)
from ledger.models import AdjustmentProposal, Correction, Entity, User
from reductions.models import Attachment, BundleFiling, Project, Review

from .helpers import HAN, assert_healthy, nav_links, visit

pytestmark = pytest.mark.e2e

ROLES = [
    "district_clerk",
    "district_approver",
    "municipal_clerk",
    "municipal_approver",
    "enterprise_user",
    "auditor",
]

# What users type, field by field: it stays in the language it was typed in.
USER_DATA = {
    Project: ["number", "name", "enterprise_name", "credit_code", "measure", "national_document"],
    Review: ["comment", "document_number"],
    Attachment: ["original_name"],
    BundleFiling: ["filing_number", "rejection_reason"],
    TargetChange: ["reason"],
    AllocationRound: ["comment"],
    RoundStep: ["comment"],
    AllocationLine: ["adjust_reason"],
    ConstructionProject: ["name", "builder", "eia_number", "decision_comment", "cancel_reason"],
    UseLine: ["comment"],
    TradeRecord: [
        "evidence_name",
        "memo",
        "decision_comment",
        "certificate_number",
        "counterparty",
    ],
    ReserveIntake: ["evidence_name", "memo", "decision_comment", "source_other"],
    AdjustmentProposal: ["reason", "decision_comment"],
    Correction: ["reason", "decision_comment"],
    ImportJob: ["filename"],
}
# A language's own name is written in that language in every switch.
LANGUAGE_NAMES = ["中文"]


def typed_by_users() -> list[str]:
    """Every Chinese text users typed, longest first (so that a name containing another
    is removed whole)."""
    texts = set(LANGUAGE_NAMES)
    for model, fields in USER_DATA.items():
        for row in model.objects.values_list(*fields):
            texts.update(value for value in row if isinstance(value, str) and HAN.search(value))
    # An entity with no English name can only be shown by its Chinese one.
    texts.update(Entity.objects.filter(name_en="").values_list("name_zh", flat=True))
    return sorted(texts, key=len, reverse=True)


CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]+")
# Official document numbers (沪环规〔2023〕4号) are names: they have no English form.
DOCUMENT_NUMBER = re.compile(r"[\u4e00-\u9fff]+〔\d{4}〕\d+号")


def leaks(page, data: list[str]) -> list[str]:
    """The Chinese left on the page once the users' own texts are taken out, each with a
    little of the text around it."""
    text = page.locator("body").inner_text()
    for value in data:
        text = text.replace(value, " ")
    text = DOCUMENT_NUMBER.sub(" ", text)
    found, end = [], -1
    for match in CHINESE.finditer(text):
        if match.start() > end:
            start, end = max(0, match.start() - 25), match.end() + 25
            found.append(" ".join(text[start:end].split()))
    return found


def switch_to_english(page) -> None:
    visit(page, reverse("home"))
    with page.expect_navigation():
        page.get_by_label("语言").select_option("en")
    assert_healthy(page)
    assert page.locator("html").get_attribute("lang") == "en"


def first_record_link(page) -> str | None:
    """The first record linked from the page's main table, as a user opens one to look."""
    links = page.locator("main table tbody a[href^='/']")
    for index in range(min(links.count(), 5)):
        href = links.nth(index).get_attribute("href")
        if href and "download" not in href and "export" not in href:
            return href
    return None


def walk(page_as, *, english: bool):
    """Each role's walk: every page of its top navigation and the first record linked from
    each; yields (who, path, page) on each page once it is open and healthy."""
    for username in ROLES:
        page = page_as(User.objects.get(username=username))
        if english:
            switch_to_english(page)
        else:
            visit(page, reverse("home"))
        seen: set[str] = set()
        for _label, href in nav_links(page):
            if href in seen or href.startswith("/admin"):
                continue
            for path in (href, None):
                if path is None:
                    path = first_record_link(page)
                    if path is None or path in seen:
                        continue
                seen.add(path)
                visit(page, path)
                language = page.locator("html").get_attribute("lang")
                assert language == ("en" if english else "zh-hans"), (path, language)
                yield username, path, page


def test_every_role_walks_its_pages_in_english_with_no_chinese_system_text(page_as):
    call_command("load_demo", verbosity=0)
    data = typed_by_users()
    found: dict[str, list[str]] = {}
    for username, path, page in walk(page_as, english=True):
        if left := leaks(page, data):
            found[f"{username} {path}"] = left
    report = "\n".join(f"{where}: {snippets[:6]}" for where, snippets in found.items())
    assert not found, f"Chinese system text in the English pages:\n{report}"


# In the Chinese pages: no stored code shown raw (DISTRICT_CLERK, MICRO_CREDIT) and none of
# Django's English defaults.
RAW_CODE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
ENGLISH_DEFAULTS = ["Select an option", "This field is required", "Enter a valid", "None"]


def test_every_role_walks_its_pages_in_chinese_with_no_raw_codes(page_as):
    call_command("load_demo", verbosity=0)
    found: dict[str, list[str]] = {}
    for username, path, page in walk(page_as, english=False):
        text = page.locator("body").inner_text()
        left = RAW_CODE.findall(text) + [t for t in ENGLISH_DEFAULTS if t in text]
        if left:
            found[f"{username} {path}"] = sorted(set(left))
    report = "\n".join(f"{where}: {codes}" for where, codes in found.items())
    assert not found, f"Codes or English defaults in the Chinese pages:\n{report}"

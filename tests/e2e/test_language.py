"""The language switch in the top bar shows the same pages in English, and back."""

import pytest
from django.urls import reverse

from .helpers import HAN, assert_chinese, assert_healthy, nav_links, visit

pytestmark = pytest.mark.e2e


def switch_language(page, label: str, code: str) -> None:
    with page.expect_navigation():
        page.get_by_label(label).select_option(code)
    assert_healthy(page)


def test_language_switch_shows_english_and_stays_english(district_clerk_page):
    page = district_clerk_page
    visit(page, reverse("reductions:list"))
    assert_chinese(page)

    switch_language(page, "语言", "en")
    assert page.url.endswith(reverse("reductions:list"))
    assert page.locator("html").get_attribute("lang") == "en"
    labels = [label for label, _href in nav_links(page)]
    assert labels[:3] == ["Home", "My inbox", "Our ledger"] and "Reduction projects" in labels, (
        labels
    )
    assert not HAN.search(page.locator("header nav").inner_text())
    assert not HAN.search(page.locator("h1").inner_text())

    # The choice is kept while the clerk moves on.
    visit(page, reverse("home"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Welcome, d_clerk" in page.locator("h1").inner_text()

    switch_language(page, "Language", "zh-hans")
    assert_chinese(page)

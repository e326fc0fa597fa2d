"""The top bar fits one line at 1440 px for every role: nothing wraps, nothing overflows."""

import pytest
from django.urls import reverse

from ledger import services as ledger_services

from .conftest import ROLES
from .helpers import assert_chinese, visit

pytestmark = pytest.mark.e2e

# What the browser measures: the bar's size and each item's row.
MEASURE = """() => {
  const bar = document.querySelector("header.topbar");
  const items = [...bar.querySelectorAll(
    ":scope > a, :scope > nav > a, :scope > nav > details > summary, :scope > .session > *"
  )];
  const tops = items.filter(e => e.offsetParent !== null)
    .map(e => Math.round(e.getBoundingClientRect().top));
  return {
    height: bar.getBoundingClientRect().height,
    scrollWidth: bar.scrollWidth,
    clientWidth: bar.clientWidth,
    pageWidth: document.documentElement.scrollWidth,
    rows: new Set(tops.map(t => Math.round(t / 8))).size,
    tops: tops,
    // Items drawn over one another (a squeezed bar overlaps rather than wraps).
    overlaps: items.filter(e => e.offsetParent !== null)
      .map(e => e.getBoundingClientRect())
      .sort((a, b) => a.left - b.left)
      .filter((r, i, all) => i > 0 && r.left < all[i - 1].right - 1).length,
    right: Math.max(...items.map(e => e.getBoundingClientRect().right)),
  };
}"""


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_top_bar_fits_one_line_at_1440_px(role, locale, request, page_as, pudong, bureau):
    user = request.getfixturevalue(role)
    # Work waiting for the user makes the 待我处理 label as wide as it gets in practice.
    clerk = request.getfixturevalue("municipal_clerk")
    for n in range(12):
        ledger_services.propose_adjustment(
            account=ledger_services.entity_account(pudong, "COD"),
            amount=str(n + 1),
            reason="核对",
            user=clerk,
        )
    if locale == "en-US":
        user.language = "en"
        user.save(update_fields=["language"])
    page = page_as(user)
    visit(page, reverse("home"))
    if locale == "zh-CN":
        assert_chinese(page)
    size = page.evaluate(MEASURE)
    assert size["pageWidth"] <= 1440, size
    assert size["scrollWidth"] <= size["clientWidth"], size
    assert size["rows"] == 1, size
    assert size["overlaps"] == 0, size
    assert size["right"] <= 1440, size
    assert size["height"] < 64, size
    # The menus open over the page without making the bar taller.
    for summary in page.locator("header details > summary").all():
        summary.click()
        assert page.locator("header.topbar").bounding_box()["height"] == size["height"]
        summary.click()

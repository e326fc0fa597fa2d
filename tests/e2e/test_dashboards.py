"""Issue 11: the home dashboards draw their charts (ECharts, CSP-clean) and show each one as
a table on request; a large import shows its progress page."""

import pytest
from django.urls import reverse

from .helpers import visit

pytestmark = pytest.mark.e2e


def test_municipal_home_draws_every_chart_and_its_table(municipal_approver_page, artifacts):
    page = municipal_approver_page
    visit(page, reverse("home"))
    charts = page.locator("[data-chart-url]")
    assert charts.count() == 5
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart-url]')]"
        ".every(box => box.querySelector('canvas'))"
    )
    table = page.locator("#chart-target-completion-table")
    assert table.is_hidden()
    button = page.locator("[data-toggle-table='chart-target-completion-table']")
    button.click()
    assert table.is_visible()
    assert button.inner_text() == "隐藏表格" and button.get_attribute("aria-expanded") == "true"
    button.click()
    assert table.is_hidden() and button.inner_text() == "以表格显示"
    assert page.js_errors == []
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)


def test_enterprise_home_shows_its_balance_over_time(enterprise_user_page):
    page = enterprise_user_page
    visit(page, reverse("home"))
    assert page.locator("#chart-balance-over-time").is_visible()
    page.wait_for_function("() => document.querySelector('#chart-balance-over-time canvas')")
    assert page.js_errors == []


def test_the_tables_show_when_the_charts_cannot_load(municipal_approver_page):
    """The table is the charts' fallback: with ECharts missing, every table is shown and
    can still be hidden."""
    page = municipal_approver_page
    page.route("**/echarts.min.js", lambda route: route.abort())
    page.goto(reverse("home"))
    page.wait_for_load_state("load")
    tables = page.locator(".chart-table")
    assert tables.count() == 5
    for i in range(tables.count()):
        assert tables.nth(i).is_visible()
    page.locator("[data-toggle-table='chart-target-completion-table']").click()
    assert page.locator("#chart-target-completion-table").is_hidden()

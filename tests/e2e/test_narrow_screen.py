"""A clerk on a phone (375 px wide): the project list, a project's page and the project form
fit the screen; a wide table scrolls inside its own box, never the page (issue 12)."""

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reductions import services
from tests.factories import make_project

from .axe import axe_violations, describe
from .helpers import assert_chinese, visit

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_project_list_detail_and_form_fit_375_px(
    district_clerk, district_approver, district_clerk_page, artifacts
):
    certified = make_project(
        district_clerk,
        name="张江镇农村生活污水处理设施提标改造工程（二期）",
        amounts={"COD": "0.08", "NH3N": "0.02"},
        completion_date=datetime.date(2025, 9, 30),
    )
    services.act(
        project=certified,
        user=district_approver,
        action="approve",
        comment="核定减排量与监测报告一致，同意。",
        amounts={"COD": "0.075"},
    )
    make_project(district_clerk, name="锅炉低氮改造", amounts={"COD": "2"})

    page = district_clerk_page
    page.set_viewport_size(PHONE)

    visit(page, reverse("reductions:list") + "?order=name")
    assert_chinese(page)
    page.screenshot(path=str(artifacts / "list-375.png"), full_page=True)
    assert page_width(page) <= PHONE["width"]
    found = [describe(page.url, v) for v in [axe_violations(page)] if v]
    # The table keeps its columns and scrolls in its box.
    box = page.locator(".list-scroll")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")
    assert "核定" in page.locator("table.project-list").inner_text()

    visit(page, reverse("reductions:detail", args=[certified.pk]))
    page.screenshot(path=str(artifacts / "detail-375.png"), full_page=True)
    assert page_width(page) <= PHONE["width"]
    found += [describe(page.url, v) for v in [axe_violations(page)] if v]

    visit(page, reverse("reductions:new"))
    page.screenshot(path=str(artifacts / "form-375.png"), full_page=True)
    assert page_width(page) <= PHONE["width"]
    found += [describe(page.url, v) for v in [axe_violations(page)] if v]
    assert not found, "\n".join(found)
    assert page.js_errors == []


def test_the_project_list_sorts_by_its_headers(
    district_clerk, district_approver, district_clerk_page, artifacts
):
    micro = make_project(district_clerk, name="项目A 微小", amounts={"COD": "0.08"})
    services.act(project=micro, user=district_approver, action="approve", amounts={"COD": "0.07"})
    make_project(district_clerk, name="项目B 重点", amounts={"COD": "6"})
    make_project(district_clerk, name="项目C 打包", amounts={"COD": "2"})

    page = district_clerk_page
    visit(page, reverse("reductions:list"))
    names = page.locator("table.project-list tbody tr td:nth-child(2)")
    expect(names).to_have_text(["项目C 打包", "项目B 重点", "项目A 微小"])
    expect(page.locator("th[aria-sort]")).to_have_text(re.compile(r"^#"))

    page.get_by_role("link", name=re.compile("^核算类别")).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("核算类别")
    expect(names).to_have_text(["项目B 重点", "项目C 打包", "项目A 微小"])
    page.get_by_role("link", name=re.compile("^核算类别")).click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("核算类别")
    expect(names).to_have_text(["项目A 微小", "项目C 打包", "项目B 重点"])
    # Certified amounts once certified, the others as claimed, each labelled.
    amounts = page.locator("table.project-list tbody tr td:last-child")
    expect(amounts).to_have_text(
        [
            re.compile(r"核定\s*COD 0\.070"),
            re.compile(r"申报\s*COD 2\.000"),
            re.compile(r"申报\s*COD 6\.000"),
        ]
    )
    page.screenshot(path=str(artifacts / "list-sorted.png"), full_page=True)
    assert page.js_errors == []

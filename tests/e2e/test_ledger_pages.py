"""Ledger pages in the browser: the 403 page's way back, the entity page's recent postings."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ledger import services as ledger_services

from .helpers import assert_chinese, visit

pytestmark = pytest.mark.e2e


def test_forbidden_page_offers_a_way_back(district_clerk_page, artifacts):
    page = district_clerk_page
    visit(page, reverse("reductions:list"))
    # A link the clerk may not follow, as from an old bookmark or a colleague's message.
    page.evaluate(
        "url => { const a = document.createElement('a'); a.href = url; a.id = 'x';"
        " a.textContent = 'x'; document.querySelector('main').append(a); }",
        reverse("ledger:entity_list"),
    )
    with page.expect_navigation():
        page.locator("#x").click()
    expect(page.locator("h1")).to_have_text("无权访问")
    assert_chinese(page)
    expect(page.locator("main")).to_contain_text("您没有执行此操作的权限。")
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    page.screenshot(path=artifacts / "forbidden.png", full_page=True)
    page.get_by_role("link", name=re.compile("返回上一页")).click()
    page.wait_for_url(f"**{reverse('reductions:list')}")


def test_entity_page_names_pollutant_amount_and_approver(
    page_as, district_clerk, municipal_clerk, municipal_approver, pudong
):
    municipal_approver.first_name = "李批准"
    municipal_approver.save()
    proposal = ledger_services.propose_adjustment(
        account=ledger_services.entity_account(pudong, "NOX"),
        amount="1.800",
        reason="补录",
        user=municipal_clerk,
    )
    ledger_services.approve_adjustment(proposal=proposal, approver=municipal_approver)
    page = page_as(district_clerk)
    visit(page, reverse("ledger:entity", args=[pudong.code]))
    assert_chinese(page)
    row = page.locator("table").last.locator("tbody tr").first
    expect(row).to_contain_text("氮氧化物")
    expect(row).to_contain_text("1.800")
    expect(row).to_contain_text("李批准")

"""Journey: a MICRO project certified by the district is a credit on the district's ledger."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import make_project

from .helpers import assert_chinese, expect_message, follow, open_from_inbox, submit, visit

pytestmark = pytest.mark.e2e

NAME = "食堂油烟净化微改造"


def test_district_certified_micro_project_is_credited_to_the_district_ledger(
    district_clerk, district_approver_page, district_clerk_page, artifacts
):
    # The clerk's entry and submission are the package journey's; here it waits for review.
    make_project(district_clerk, name=NAME, amounts={"COD": "0.05"})

    approver = district_approver_page
    visit(approver, reverse("home"))
    assert_chinese(approver)
    follow(approver, "我们的台账")
    expect(approver.locator("main")).to_contain_text("暂无")  # no transactions yet

    # It waits in the approver's inbox.
    open_from_inbox(approver, NAME)
    expect(approver.locator("h1")).to_contain_text("微小减排项目")
    approver.get_by_label("意见").fill("核查属实。")
    # The confirmation says what will be credited, and where.
    submit(
        approver,
        approver.get_by_role("button", name="核定", exact=True),
        confirm=True,
        expect_text=("浦东新区", "0.050"),
        snapshot=artifacts / "confirm-dialog.png",
    )
    expect_message(approver, "已办理，项目当前状态：已核定。")
    expect(approver.locator("h1")).to_contain_text("已核定")
    expect(approver.locator("main table").first).to_contain_text("0.050")

    # The district's ledger shows the credit: the COD card and the recent transactions.
    for page in (approver, district_clerk_page):
        if page is district_clerk_page:
            visit(page, reverse("home"))
        follow(page, "我们的台账")
        cod = page.locator(".card").filter(has_text="化学需氧量")
        expect(cod).to_contain_text("0.050")
        row = page.locator("main table tbody tr").filter(has_text="微小减排量入账")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("化学需氧量")
        # The amount credited and the balance after it, each to the kilogram.
        expect(row.get_by_role("cell", name="0.050", exact=True)).to_have_count(2)
        expect(row).to_contain_text("d_approver")

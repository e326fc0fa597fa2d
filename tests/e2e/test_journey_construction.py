"""Journey: a construction project holds quota, approval consumes the hold, and cancelling
the approved use gives the quota back.

Pudong has 3.000 t of COD. Its clerk enters a construction project emitting 1.200 t of new
COD and requests the quota (a hold: available 1.800, held 1.200); the district approver
approves (used: balance 1.800, nothing held); the clerk proposes to cancel the use and the
approver approves the cancellation (balance 3.000 again); the project shows CANCELLED.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import fund

from .helpers import (
    assert_chinese,
    assert_healthy,
    choose,
    expect_message,
    field,
    follow,
    open_link,
    submit,
    visit,
)

pytestmark = pytest.mark.e2e

NAME = "新建涂装生产线项目"


def cod_position(page):
    """The COD card of the entity's ledger page: available, balance, held."""
    follow(page, "我们的台账")
    return page.locator(".card").filter(has_text="化学需氧量")


def expect_position(card, *, available: str, balance: str, held: str) -> None:
    expect(card.locator(".figure")).to_contain_text(available)
    expect(card.locator("dd").nth(0)).to_have_text(balance)
    expect(card.locator("dd").nth(1)).to_have_text(held)


def test_construction_hold_use_and_cancellation(
    pudong, municipal_approver, district_clerk_page, district_approver_page
):
    fund(pudong, "COD", "3", user=municipal_approver)

    # --- The clerk enters the construction project.
    clerk = district_clerk_page
    visit(clerk, reverse("home"))
    assert_chinese(clerk)
    expect_position(cod_position(clerk), available="3.000", balance="3.000", held="0.000")
    follow(clerk, "建设项目")
    open_link(clerk, "新建建设项目")
    field(clerk, "项目名称").fill(NAME)
    field(clerk, "建设单位").fill("上海示例汽车零部件有限公司")
    field(clerk, "环评批复文号").fill("沪环评〔2026〕88号")
    choose(clerk, "所属区（管委会）或市管企业", "浦东新区")
    choose(clerk, "行业", "汽车")
    choose(clerk, "区域环境质量", "达标区")
    field(clerk, "新增 COD 排放量（吨/年）").fill("1.2")
    submit(clerk, clerk.get_by_role("button", name="保存", exact=True))
    expect(clerk.locator("h1")).to_contain_text(NAME)

    # --- It requests the quota from Pudong's own ledger: a hold.
    own = clerk.get_by_label(re.compile(r"由浦东新区承担的COD"))
    expect(own).to_have_value(re.compile(r"^1\.20*$"))
    submit(clerk, clerk.get_by_role("button", name="申请并预占指标"))
    expect_message(clerk, "指标已预占，等待审批。")
    expect(clerk.locator("h1")).to_contain_text("已申请指标")
    drawn = (
        clerk.locator("main table tbody tr").filter(has_text="浦东新区").filter(has_text="1.200")
    )
    expect(drawn).to_have_count(1)
    expect(drawn).to_contain_text(re.compile("预占|生效中"))  # the hold, not yet used
    expect_position(cod_position(clerk), available="1.800", balance="3.000", held="1.200")

    # --- The district approver approves: the hold is consumed.
    approver = district_approver_page
    visit(approver, reverse("home"))
    follow(approver, "建设项目")
    open_link(approver, NAME)
    field(approver, "意见").fill("符合替代要求。")
    submit(
        approver,
        approver.get_by_role("button", name="批准（使用指标）"),
        confirm=True,
        expect_text="1.200",
    )
    expect_message(approver, "已办理，项目当前状态：已批准（指标已使用）。")
    used = (
        approver.locator("main table tbody tr").filter(has_text="1.200").filter(has_text="浦东新区")
    )
    expect(used).to_contain_text("已使用")
    expect(used).to_contain_text("d_approver")
    expect_position(cod_position(approver), available="1.800", balance="1.800", held="0.000")
    use = approver.locator("main table tbody tr").filter(has_text="指标使用").first
    expect(use).to_contain_text("-1.200")

    # --- The use is cancelled: the clerk proposes, the approver approves.
    follow(clerk, "建设项目")
    open_link(clerk, NAME)
    expect(clerk.locator("h1")).to_contain_text("已批准（指标已使用）")
    open_link(clerk, "撤销已批准的使用")
    expect(clerk.locator("main")).to_contain_text("1.200")  # what approving will give back
    field(clerk, "理由").fill("项目取消建设")
    submit(clerk, clerk.get_by_role("button", name="提出更正申请"))
    expect_message(clerk, "更正申请已提出，须由另一人批准。")

    follow(approver, "建设项目")
    open_link(approver, NAME)
    open_link(approver, "查看并审批")
    submit(
        approver,
        approver.get_by_role("button", name="批准并入账"),
        confirm=True,
        expect_text="1.200",
    )
    expect_message(approver, "更正申请已审批。")
    # The approver lands on the decided correction, not on a refusal.
    assert_healthy(approver)
    expect(approver.locator("h1")).to_contain_text("撤销已批准的使用")
    expect(approver.locator("h1")).to_contain_text("已批准")

    follow(clerk, "建设项目")
    row = clerk.locator("main table tbody tr").filter(has_text=NAME)
    expect(row).to_contain_text("已撤销（使用已冲正）")
    open_link(clerk, NAME)
    expect(clerk.locator("h1")).to_contain_text("已撤销（使用已冲正）")
    expect(clerk.get_by_role("alert")).to_contain_text("项目取消建设")
    cancelled = (
        clerk.locator("main table tbody tr").filter(has_text="1.200").filter(has_text="浦东新区")
    )
    expect(cancelled).to_contain_text("已撤销")
    expect_position(cod_position(clerk), available="3.000", balance="3.000", held="0.000")

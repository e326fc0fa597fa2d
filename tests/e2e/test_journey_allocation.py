"""Journey: a KEY project's national result becomes quota in the district's ledger, and a
revoked certification is recovered by the next round.

The municipal clerk records the Ministry's result for a KEY project of Pudong and enters
Pudong's five-year COD target; the clerk drafts an allocation round and submits it; the
municipal approver approves it, which posts the allocation to Pudong's ledger. When the
certification is later revoked (four-eyes), the next round proposes a recovery line.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reductions import services as reduction_services
from tests.factories import make_project

from .helpers import assert_chinese, choose, expect_message, follow, open_link, submit, visit

pytestmark = pytest.mark.e2e

NAME = "污水处理厂提标改造"


def municipally_reviewed_key_project(district_clerk, district_approver, municipal_approver):
    """A Pudong KEY project (COD 8 t/a) that the district and the municipality reviewed and
    reported to the Ministry (the package journey walks such steps in the browser)."""
    project = make_project(district_clerk, name=NAME, amounts={"COD": "8"})
    assert project.tier == "KEY"
    for reviewer in (district_approver, municipal_approver):
        project = reduction_services.act(project=project, user=reviewer, action="approve")
    assert project.status == "MUNICIPAL_REVIEWED"
    return project


def cell(row, text: str):
    return row.get_by_role("cell", name=text, exact=True)


def test_national_result_target_round_allocation_and_recovery(
    district_clerk,
    district_approver,
    municipal_approver,
    second_approver,
    municipal_clerk_page,
    municipal_approver_page,
    district_clerk_page,
    page_as,
    artifacts,
):
    municipally_reviewed_key_project(district_clerk, district_approver, municipal_approver)

    # --- The municipal clerk records the national result, lower than claimed.
    clerk = municipal_clerk_page
    visit(clerk, reverse("home"))
    assert_chinese(clerk)
    follow(clerk, "减排项目")
    open_link(clerk, NAME)
    expect(clerk.locator("h1")).to_contain_text("重点工程")
    clerk.get_by_label("国家核定文号").fill("环办减排〔2025〕12号")
    clerk.get_by_label("国家核定日期").fill("2025-09-30")
    clerk.get_by_label(re.compile("COD")).fill("7.5")
    submit(
        clerk,
        clerk.get_by_role("button", name="录入国家核定结果"),
        confirm=True,
        expect_text=(NAME, "7.500"),
    )
    expect_message(clerk, "已办理，项目当前状态：已核定。")
    expect(clerk.locator("main")).to_contain_text("环办减排〔2025〕12号")
    amounts = clerk.locator("main table").first.locator("tbody tr").filter(has_text="COD")
    expect(cell(amounts, "8.000")).to_be_visible()
    expect(cell(amounts, "7.500")).to_be_visible()

    # --- Pudong's five-year COD target.
    follow(clerk, "指标分配")
    open_link(clerk, "五年减排目标")
    choose(clerk, "台账主体", "浦东新区")
    choose(clerk, "规划期", "十四五")
    choose(clerk, "污染物", "COD")
    clerk.get_by_label("目标（吨）").fill("5")
    submit(clerk, clerk.get_by_role("button", name="保存", exact=True))
    expect_message(clerk, "目标已保存。")
    target = clerk.locator("main table tbody tr").filter(has_text="浦东新区")
    expect(cell(target, "5.000")).to_be_visible()

    # --- A round: 7.500 certified − 5.000 target = 2.500 due to Pudong.
    follow(clerk, "指标分配")
    choose(clerk, "规划期", "十四五")
    submit(clerk, clerk.get_by_role("button", name="计算分配建议"))
    expect(clerk.locator("h1")).to_contain_text("草稿")
    line = clerk.locator("main table tbody tr").filter(has_text="浦东新区")
    expect(line).to_have_count(1)
    expect(cell(line, "2.500").first).to_be_visible()
    clerk.screenshot(path=artifacts / "round-draft.png", full_page=True)
    submit(clerk, clerk.get_by_role("button", name="提交审批"))
    expect_message(clerk, "已办理，批次当前状态：已提交。")
    round_url = clerk.url

    # --- The municipal approver approves it: the allocation posts.
    approver = municipal_approver_page
    visit(approver, reverse("home"))
    follow(approver, "指标分配")
    approver.locator("main table tbody tr").filter(has_text="已提交").get_by_role(
        "link"
    ).first.click()
    approver.wait_for_load_state("load")
    assert approver.url == round_url
    submit(
        approver,
        approver.get_by_role("button", name="批准并入账"),
        confirm=True,
        expect_text=("浦东新区", "2.500"),
    )
    expect_message(approver, "已办理，批次当前状态：已批准。")
    expect(approver.locator("h1")).to_contain_text("已批准")

    # --- Pudong's ledger shows the allocation.
    district = district_clerk_page
    visit(district, reverse("home"))
    follow(district, "我们的台账")
    expect(district.locator(".card").filter(has_text="化学需氧量")).to_contain_text("2.500")
    allocation = district.locator("main table tbody tr").filter(has_text="指标分配")
    expect(allocation).to_have_count(1)
    expect(cell(allocation, "2.500").first).to_be_visible()

    # --- The certification is revoked, four-eyes: one municipal approver proposes, another
    # approves.
    proposer = page_as(second_approver)
    visit(proposer, reverse("home"))
    follow(proposer, "减排项目")
    open_link(proposer, NAME)
    open_link(proposer, "撤销核定")
    proposer.get_by_label("理由").fill("国家核定结果被撤回")
    submit(proposer, proposer.get_by_role("button", name="提出更正申请"))
    expect_message(proposer, "更正申请已提出，须由另一人批准。")

    follow(approver, "更正申请")
    waiting = approver.locator("main table tbody tr").filter(has_text=NAME)
    expect(waiting).to_contain_text("撤销核定")
    waiting.get_by_role("link").first.click()
    approver.wait_for_load_state("load")
    expect(approver.locator("main")).to_contain_text("2.500")  # what the next round recovers
    submit(approver, approver.get_by_role("button", name="批准并入账"), confirm=True)
    expect_message(approver, "更正申请已审批。")

    # --- The next round proposes to recover the 2.500 allocated beyond what is now due.
    follow(clerk, "指标分配")
    choose(clerk, "规划期", "十四五")
    submit(clerk, clerk.get_by_role("button", name="计算分配建议"))
    expect(clerk.locator("h1")).to_contain_text("草稿")
    recovery = clerk.locator("main table tbody tr").filter(has_text="浦东新区")
    expect(recovery).to_have_count(1)
    expect(recovery).to_contain_text("追回")
    expect(recovery).to_contain_text("2.500")

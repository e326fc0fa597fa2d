"""Journey: a district's small-package project from entry to municipal certification.

The district clerk enters a PACKAGE project (the tier shows while typing), attaches its
evidence and submits it; the district approver reviews it; the clerk records the bundle's
national filing and the approver confirms it; the municipal approver certifies the bundle.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reductions.models import Industry, PlanPeriod, Project, ProjectType
from tests.factories import EVIDENCE_PDF, VALID_CREDIT_CODE

from .helpers import (
    assert_chinese,
    expect_message,
    follow,
    open_link,
    submit,
    visit,
)

pytestmark = pytest.mark.e2e

NAME = "电镀车间废水回用改造"


def test_district_package_project_from_entry_to_municipal_certification(
    district_clerk_page,
    district_approver_page,
    municipal_approver_page,
    tmp_path,
    artifacts,
):
    # --- The district clerk enters the project and sees its tier while typing.
    clerk = district_clerk_page
    visit(clerk, reverse("home"))
    assert_chinese(clerk)
    follow(clerk, "减排项目")
    open_link(clerk, "新建项目")
    expect(clerk.locator("#tier-label")).to_have_text("—")

    clerk.get_by_label("项目名称").fill(NAME)
    clerk.get_by_label("实施企业").fill("上海示例电镀有限公司")
    clerk.get_by_label("统一社会信用代码").fill(VALID_CREDIT_CODE)
    clerk.get_by_label("行业大类").select_option(str(Industry.objects.get(code="26").pk))
    with clerk.expect_response(lambda r: reverse("reductions:tier") in r.url):
        clerk.get_by_label("项目类型").select_option(
            str(ProjectType.objects.get(code="W_STRUCTURE").pk)
        )
    clerk.get_by_label("减排措施").fill("电镀废水深度处理后回用")
    clerk.get_by_label("规划期").select_option(str(PlanPeriod.objects.get(code="14FYP").pk))
    clerk.get_by_label("核算年度").fill("2025")
    clerk.get_by_label("完成日期").fill("2025-06-30")
    clerk.get_by_label(re.compile(r"COD.*减排量")).fill("2.5")
    expect(clerk.locator("#tier-label")).to_have_text("小额打包项目")
    clerk.get_by_label(re.compile(r"NH3-N.*减排量")).fill("0.3")
    expect(clerk.locator("#tier-label")).to_have_text("小额打包项目")
    clerk.screenshot(path=artifacts / "project-form.png", full_page=True)

    submit(clerk, clerk.get_by_role("button", name="保存", exact=True))
    expect_message(clerk, "已保存。核算类别：小额打包项目")
    expect(clerk.locator("h1")).to_contain_text(NAME)
    expect(clerk.locator("h1")).to_contain_text("草稿")
    project = Project.objects.get(name=NAME)

    # --- Evidence, then submission.
    evidence = tmp_path / "监测报告.pdf"
    evidence.write_bytes(EVIDENCE_PDF)
    clerk.get_by_label(re.compile("证明材料")).set_input_files(evidence)
    submit(clerk, clerk.get_by_role("button", name="上传", exact=True))
    expect_message(clerk, "证明材料已添加。")
    expect(clerk.get_by_role("link", name="监测报告.pdf")).to_be_visible()

    submit(clerk, clerk.get_by_role("button", name="提交审核"))
    expect_message(clerk, "已办理，项目当前状态：已提交。")
    expect(clerk.locator("h1")).to_contain_text("已提交")

    # --- The district approver finds it waiting and approves it with a comment.
    approver = district_approver_page
    visit(approver, reverse("home"))
    follow(approver, "减排项目")
    open_link(approver, NAME)
    expect(approver.get_by_role("heading", name=re.compile("审核"))).to_be_visible()
    approver.get_by_label("意见").fill("材料齐全，同意。")
    submit(approver, approver.get_by_role("button", name="批准", exact=True))
    expect_message(approver, "已办理，项目当前状态：区已审核。")
    # Certification waits for the bundle's national filing.
    expect(approver.locator("main")).to_contain_text("国家系统")

    # --- The district clerk files the bundle in the national system and records it.
    follow(clerk, "小额打包")
    bundles = clerk.locator("main table").first
    expect(bundles).to_contain_text("COD 2.500")
    bundles.get_by_role("link").first.click()
    clerk.wait_for_load_state("load")
    expect(clerk.locator("main table")).to_contain_text(NAME)
    clerk.get_by_label("国家系统填报编号").fill("GJ-2025-0801")
    clerk.get_by_label("国家系统填报日期").fill("2025-08-01")
    submit(clerk, clerk.get_by_role("button", name="登记填报"))
    expect_message(clerk, "区审核人员")
    expect(clerk.locator("h1")).to_contain_text("GJ-2025-0801")

    # --- The district approver confirms the filing.
    follow(approver, "小额打包")
    open_link(approver, "GJ-2025-0801")
    # The confirmation names the filing and what it covers.
    submit(
        approver,
        approver.get_by_role("button", name=re.compile("确认.*填报")),
        confirm=True,
        expect_text=("GJ-2025-0801", "COD 2.500"),
    )
    expect(approver.locator("h1")).to_contain_text("已填报")

    # --- The municipal approver certifies the whole bundle.
    municipal = municipal_approver_page
    visit(municipal, reverse("home"))
    follow(municipal, "小额打包")
    open_link(municipal, "GJ-2025-0801")
    expect(municipal.locator("main table")).to_contain_text("COD 2.500")
    submit(
        municipal,
        municipal.get_by_role("button", name="整包核定"),
        confirm=True,
        expect_text=("COD 2.500", "NH3-N 0.300"),
    )
    expect_message(municipal, "已核定 1 个项目。")

    follow(municipal, "减排项目")
    open_link(municipal, NAME)
    expect(municipal.locator("h1")).to_contain_text("已核定")
    amounts = municipal.locator("main table").first
    expect(amounts).to_contain_text("2.500")
    expect(amounts).to_contain_text("0.300")
    project.refresh_from_db()
    assert project.status == "CERTIFIED"

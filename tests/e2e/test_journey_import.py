"""Journey: a bulk import with one bad row shows the errors and imports nothing.

The district clerk downloads the project template from the import page, fills three rows in
it (the second with an amount typed as words), uploads it, and sees the preview name the row,
the column and the reason, with no way to confirm; the project list stays empty.
"""

import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import expect

from ledger.imports import DATA_SHEET
from reductions.models import Project
from tests.factories import VALID_CREDIT_CODE

from .helpers import assert_chinese, follow, submit, visit

pytestmark = pytest.mark.e2e

COD = "化学需氧量减排量（吨/年）"


def row(number: int, cod: str) -> dict:
    return {
        "项目编号": f"PD-{number:05d}",
        "项目名称": f"污水深度处理 {number}",
        "实施企业名称": "上海示例化工有限公司",
        "统一社会信用代码": VALID_CREDIT_CODE,
        "行业大类代码": "26",
        "项目类型": "W_STRUCTURE",
        "减排措施": "污水深度处理改造",
        "核算年度": 2025,
        "完成日期": datetime.date(2025, 6, 30),
        COD: cod,
    }


def test_an_import_with_one_bad_row_shows_the_error_and_imports_nothing(
    district_clerk_page, tmp_path, artifacts
):
    page = district_clerk_page
    visit(page, reverse("home"))
    assert_chinese(page)
    follow(page, "导入")
    projects = page.locator("section.card").filter(
        has=page.get_by_role("heading", name="减排项目", exact=True)
    )
    expect(projects).to_have_count(1)

    # The template, as the clerk downloads it and fills it in Excel.
    with page.expect_download() as download_info:
        projects.get_by_role("link", name="下载模板").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    workbook = load_workbook(template)
    sheet = workbook[DATA_SHEET]
    headers = [cell.value for cell in sheet[1]]
    assert COD in headers, headers
    for values in (row(1, "2.125"), row(2, "两吨"), row(3, "0.875")):
        sheet.append([values.get(header) for header in headers])
    filled = tmp_path / "浦东减排项目.xlsx"
    workbook.save(filled)

    projects.get_by_label("电子表格").set_input_files(filled)
    submit(page, projects.get_by_role("button", name="上传并校验"))
    expect(page.locator("h1")).to_contain_text("浦东减排项目.xlsx")
    expect(page.get_by_role("alert").filter(has_text="未导入任何数据")).to_be_visible()
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)

    # The preview names the row (the header is row 1), the column and the reason.
    expect(page.locator("#import-preview thead")).to_contain_text("编号或代码")
    errors = page.locator("#import-preview tbody tr.row-error")
    expect(errors).to_have_count(1)
    cells = errors.first.get_by_role("cell")
    expect(cells.nth(0)).to_have_text("3")
    expect(cells.nth(1)).to_have_text("PD-00002")
    expect(cells.nth(3)).to_have_text(COD)
    expect(cells.nth(4)).to_contain_text("“两吨”不是数字")
    page.screenshot(path=artifacts / "error-preview.png", full_page=True)

    # Nothing was imported.
    follow(page, "减排项目")
    expect(page.locator("main table tbody")).to_contain_text("暂无项目")
    assert not Project.objects.exists()

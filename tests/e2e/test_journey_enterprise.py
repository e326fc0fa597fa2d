"""Journey: a municipal enterprise keeps its own ledger.

The enterprise user sees its own ledger and no other; it records quota it bought through
emission-rights trading; a municipal approver confirms the record, which posts it; the
enterprise downloads its Excel statement, whose figures and number formats are checked with
openpyxl.
"""

import datetime

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ledger.exports import BALANCE_COLUMN
from tests.factories import EVIDENCE_PDF, fund

from .helpers import (
    assert_chinese,
    choose,
    expect_message,
    field,
    follow,
    nav_links,
    open_from_inbox,
    open_link,
    submit,
    visit,
)

pytestmark = pytest.mark.e2e

CERTIFICATE = "沪排交〔2026〕第0417号"
AMOUNT_FORMAT = "0.000"


def test_enterprise_trade_confirmed_and_excel_statement(
    enterprise,
    pudong,
    municipal_approver,
    enterprise_user_page,
    municipal_approver_page,
    tmp_path,
):
    fund(enterprise, "NOX", "1.5", user=municipal_approver)
    fund(pudong, "NOX", "9", user=municipal_approver)

    # --- Its own ledger, and no other.
    page = enterprise_user_page
    visit(page, reverse("home"))
    assert_chinese(page)
    labels = [label for label, _href in nav_links(page)]
    assert "我们的台账" in labels and "台账" not in labels, labels
    follow(page, "我们的台账")
    expect(page.locator("h1")).to_contain_text(enterprise.name_zh)
    nox = page.locator(".card").filter(has_text="氮氧化物")
    expect(nox.locator(".figure")).to_contain_text("1.500")
    for path in (reverse("ledger:entity_list"), reverse("ledger:entity", args=[pudong.code])):
        response = page.goto(path)
        assert response.status in (403, 404), (path, response.status)
        expect(page.locator("main")).not_to_contain_text("9.000")
    # The browser logs each refused page as a console error: those two were expected.
    assert all("403" in e or "404" in e for e in page.js_errors), page.js_errors
    page.js_errors.clear()

    # --- It records 0.800 t of NOx bought through trading.
    visit(page, reverse("home"))
    follow(page, "交易记录")
    open_link(page, "登记交易")
    choose(page, "方向", "买")
    field(page, "交易凭证或合同编号").fill(CERTIFICATE)
    field(page, "交易对方").fill("上海某化工有限公司")
    field(page, "交易日期").fill(timezone.localdate().isoformat())
    choose(page, "污染物", "NOx")
    field(page, "数量（吨/年）").fill("0.8")
    evidence = tmp_path / "交易凭证.pdf"
    evidence.write_bytes(EVIDENCE_PDF)
    page.get_by_label("证明材料").set_input_files(evidence)
    submit(page, page.get_by_role("button", name="记录", exact=True))
    expect_message(page, "交易已登记，须由市级审核人员确认。")
    expect(page.locator("main")).to_contain_text(CERTIFICATE)
    record_url = page.url

    # --- The municipal approver confirms it: it posts.
    approver = municipal_approver_page
    visit(approver, reverse("home"))
    open_from_inbox(approver, CERTIFICATE)
    assert approver.url == record_url
    submit(
        approver,
        approver.get_by_role("button", name="确认并入账"),
        confirm=True,
        expect_text="0.800",
    )
    expect_message(approver, "已确认（已入账）")
    expect(approver.locator("h1")).to_contain_text("已确认")

    # --- The enterprise sees it in its ledger.
    follow(page, "我们的台账")
    nox = page.locator(".card").filter(has_text="氮氧化物")
    expect(nox.locator(".figure")).to_contain_text("2.300")
    trade = page.locator("main table tbody tr").filter(has_text="交易买入")
    expect(trade).to_have_count(1)
    expect(trade.get_by_role("cell", name="0.800", exact=True)).to_be_visible()

    # --- And downloads its Excel statement.
    submit(page, page.get_by_role("button", name="导出", exact=True))
    expect(page.locator("h1")).to_contain_text("Excel")
    download_link = page.get_by_role("link", name="下载")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    assert enterprise.name_zh in download.suggested_filename
    path = tmp_path / "statement.xlsx"
    download.save_as(path)

    sheet = openpyxl.load_workbook(path)["NOx"]
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    values = [[cell.value for cell in row] for row in rows]
    header = next(i for i, v in enumerate(values) if v[0] == "日期")
    assert "余额" in values[header][BALANCE_COLUMN], values[header]
    body = rows[header + 1 :]
    opening, *entries, closing = body
    assert "期初" in opening[0].value and opening[BALANCE_COLUMN].value == 0
    assert opening[BALANCE_COLUMN].number_format == AMOUNT_FORMAT
    assert "期末" in closing[0].value
    assert float(closing[BALANCE_COLUMN].value) == pytest.approx(2.3)
    assert closing[BALANCE_COLUMN].number_format == AMOUNT_FORMAT
    kinds = [row[2].value for row in entries]
    assert kinds == ["指标分配", "交易买入"], kinds
    bought = entries[1]
    assert isinstance(bought[0].value, datetime.date | datetime.datetime)
    assert float(bought[4].value) == pytest.approx(0.8) and bought[5].value is None
    assert float(bought[BALANCE_COLUMN].value) == pytest.approx(2.3)
    for cell in bought[4:8]:
        assert cell.number_format == AMOUNT_FORMAT, (cell.coordinate, cell.number_format)

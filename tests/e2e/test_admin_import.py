"""Admin import (issue 11 item 1): a municipal clerk with admin access imports the targets
grid from the admin's Import page: a file with a bad row shows the Chinese message under its
column and cannot be confirmed; the corrected file is previewed as new and imported."""

import pytest
from django.urls import reverse
from openpyxl import Workbook
from playwright.sync_api import expect

from allocations.models import ImportJob, Target

from .helpers import visit

pytestmark = pytest.mark.e2e

HEADERS = ["主体代码", "规划期", "氮氧化物目标（吨）", "化学需氧量目标（吨）", "变更原因"]


def workbook(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_targets_imported_from_the_admin(page_as, municipal_clerk, pudong, tmp_path, artifacts):
    municipal_clerk.is_staff = municipal_clerk.is_superuser = True
    municipal_clerk.save()
    page = page_as(municipal_clerk)
    visit(page, reverse("admin:allocations_target_changelist"))
    page.get_by_role("link", name="导入", exact=True).click()
    bad = workbook(
        tmp_path / "目标.xlsx",
        [[pudong.code, "14FYP", "12", "3", ""], ["999", "14FYP", "两吨", "", ""]],
    )
    page.locator("input[type=file]").set_input_files(bad)
    page.get_by_role("button", name="提交").or_(page.locator("input[type=submit]")).first.click()
    expect(page.get_by_text("“999”不是区或市管企业。")).to_be_visible()
    expect(page.get_by_text("“两吨”不是数字；请填写吨数，如 1.234。")).to_be_visible()
    expect(page.locator("input[name=confirm]")).to_have_count(0)
    page.screenshot(path=artifacts / "errors.png", full_page=True)
    assert not Target.objects.exists()

    good = workbook(tmp_path / "目标2.xlsx", [[pudong.code, "14FYP", "12", "3", ""]])
    page.locator("input[type=file]").set_input_files(good)
    page.locator("input[type=submit]").first.click()
    expect(page.locator("tr.new")).to_have_count(1)
    page.screenshot(path=artifacts / "preview.png", full_page=True)
    page.locator("input[name=confirm]").click()
    expect(page.locator(".messagelist")).to_contain_text("1")
    assert Target.objects.filter(entity=pudong).count() == 2
    assert ImportJob.objects.get().requested_by == municipal_clerk

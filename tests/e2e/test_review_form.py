"""A review form keeps what the reviewer typed when it is refused, with the message under the
field; certifying asks once and says which account it credits (issue 12 items 2 and 4)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ledger import services as ledger_services
from reductions.models import Status
from tests.factories import make_project

from .helpers import assert_chinese, assert_healthy, click_and_confirm, visit

pytestmark = pytest.mark.e2e

COMMENT = "已核对在线监测数据，减排量按监测报告核减"


def test_an_error_on_a_review_form_keeps_the_typed_comment(
    district_clerk, district_approver, district_approver_page, artifacts
):
    project = make_project(district_clerk, amounts={"COD": "6"})  # KEY: the district reviews
    page = district_approver_page
    visit(page, reverse("reductions:detail", args=[project.pk]))
    assert_chinese(page)
    page.locator("#id_comment").fill(COMMENT)
    page.locator("#id_amount_COD").fill("7")  # above the claim of 6 t
    page.get_by_role("button", name="批准", exact=True).click()
    # The page comes back from the post (the click only starts the navigation).
    page.wait_for_url(f"**{reverse('reductions:act', args=[project.pk, 'approve'])}")
    expect(page.locator("#id_amount_COD_error")).to_be_visible()
    assert_healthy(page)

    expect(page.locator("#id_comment")).to_have_value(COMMENT)
    expect(page.locator("#id_amount_COD")).to_have_value("7")
    error = page.locator("#id_amount_COD_error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("超过")
    described = page.locator("#id_amount_COD").get_attribute("aria-describedby") or ""
    assert "id_amount_COD_error" in described.split()
    page.screenshot(path=artifacts / "refused.png", full_page=True)
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED

    # Corrected, the same typed comment goes with the approval.
    page.locator("#id_amount_COD").fill("5.5")
    page.get_by_role("button", name="批准", exact=True).click()
    page.wait_for_url(f"**{reverse('reductions:detail', args=[project.pk])}")
    assert_healthy(page)
    project.refresh_from_db()
    assert project.status == Status.DISTRICT_REVIEWED
    assert project.reviews.last().comment == COMMENT
    expect(page.locator("#timeline + .list-scroll table")).to_contain_text(COMMENT)


def test_certify_asks_once_and_says_which_account_is_credited(
    district_clerk, district_approver, district_approver_page, artifacts
):
    project = make_project(district_clerk, code="A_VEHICLE_FUEL_OTHER", amounts={"NOX": "0.08"})
    assert project.tier == "MICRO"
    page = district_approver_page
    visit(page, reverse("reductions:detail", args=[project.pk]))
    button = page.get_by_role("button", name="核定", exact=True)

    # It says what will post; cancelled, nothing happens.
    button.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-text")).to_contain_text("将向浦东新区 NOx 账户入账 0.080 t")
    page.screenshot(path=artifacts / "asking.png")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED

    # A lowered amount is the one the confirmation names, and the one credited.
    page.locator("#id_amount_NOX").fill("0.05")
    text = click_and_confirm(page, button, expect_text="将向浦东新区 NOx 账户入账 0.050 t")
    assert project.name in text
    # The page after the post (the click only starts the navigation).
    expect(page.locator(".messages")).to_contain_text("已核定")
    assert_healthy(page)
    expect(page.locator("h1")).to_contain_text("已核定")
    project.refresh_from_db()
    assert project.status == Status.CERTIFIED
    account = ledger_services.entity_account(project.owner, "NOX")
    assert account.balance == Decimal("0.050")


def test_queue_select_all_and_bulk_approval_says_how_many(
    district_clerk, district_approver, district_approver_page, artifacts
):
    first = make_project(district_clerk, amounts={"COD": "6"}, name="较早的项目")
    second = make_project(district_clerk, amounts={"COD": "7"}, name="较新的项目")
    page = district_approver_page
    visit(page, reverse("reductions:queue"))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("较早的项目")  # oldest first

    select_all = page.get_by_label("全选")
    select_all.check()
    for box in page.locator('input[name="project"]').all():
        expect(box).to_be_checked()
    page.locator('input[name="project"]').first.uncheck()
    assert page.evaluate("document.querySelector('[data-select-all]').indeterminate")
    select_all.check()
    page.screenshot(path=artifacts / "chosen.png", full_page=True)

    button = page.get_by_role("button", name="按申报量批量通过所选项目")
    click_and_confirm(page, button, expect_text="按申报量批量通过所选 2 个项目")
    expect(page.locator(".messages")).to_contain_text("已通过 2 个项目")
    assert_healthy(page)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Status.DISTRICT_REVIEWED

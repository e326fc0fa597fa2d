"""A municipal approver sees what waits in the navigation, opens the inbox and an item."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from allocations import trades
from allocations.models import TradeRecord
from ledger import services as ledger_services
from tests.factories import EVIDENCE_PDF

from .axe import axe_violations, describe
from .helpers import assert_chinese, visit

pytestmark = pytest.mark.e2e


def test_municipal_approver_opens_an_item_from_the_inbox(
    municipal_approver_page, district_clerk, municipal_clerk, pudong, artifacts
):
    trade = trades.record_trade(
        user=district_clerk,
        entity=pudong,
        direction="ACQUIRED",
        certificate_number="JY-2026-001",
        counterparty="上海某化工有限公司",
        trade_date=timezone.localdate(),
        pollutant="NOX",
        amount="1.5",
        evidence=SimpleUploadedFile("合同.pdf", EVIDENCE_PDF),
    )
    TradeRecord.objects.filter(pk=trade.pk).update(
        proposed_at=timezone.now() - datetime.timedelta(days=3)
    )
    ledger_services.propose_adjustment(
        account=ledger_services.entity_account(pudong, "COD"),
        amount="1.250",
        reason="核对差错",
        user=municipal_clerk,
    )
    page = municipal_approver_page
    visit(page, reverse("home"))
    assert_chinese(page)
    inbox_link = page.locator("header nav").get_by_role("link", name="待我处理 (2)")
    expect(inbox_link).to_be_visible()
    # The home page shows the counts per kind too.
    expect(page.locator("main .inbox-counts")).to_contain_text("待确认的交易记录")
    expect(page.locator("main .inbox-counts")).to_contain_text("待批准的调整")

    inbox_link.click()
    page.wait_for_url(f"**{reverse('inbox')}")
    assert_chinese(page)
    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(2)
    # Oldest first, with its age.
    expect(rows.first).to_contain_text("3 天")
    expect(rows.first).to_contain_text("待确认的交易记录")
    expect(rows.first).to_contain_text("NOx 1.500 t")
    expect(rows.nth(1)).to_contain_text("今天")
    assert not axe_violations(page), describe(page.url, axe_violations(page))
    page.screenshot(path=artifacts / "inbox.png", full_page=True)

    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(re.escape(reverse("allocations:trade", args=[trade.pk])) + "$"))
    assert_chinese(page)
    expect(page.locator("main")).to_contain_text("JY-2026-001")

"""A district clerk typing amounts into a new project sees its tier follow (tier-preview.js)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reductions.models import ProjectType

from .helpers import assert_chinese, visit

pytestmark = pytest.mark.e2e


def test_clerk_sees_the_tier_follow_the_amounts_typed(district_clerk_page):
    page = district_clerk_page
    visit(page, reverse("reductions:new"))
    assert_chinese(page)
    tier, reason = page.locator("#tier-label"), page.locator("#tier-reason")
    expect(tier).to_have_text("—")

    water_upgrade = ProjectType.objects.get(code="W_STRUCTURE")
    # Choosing the type asks for the tier at once; let that answer land before typing.
    with page.expect_response(lambda r: reverse("reductions:tier") in r.url):
        page.get_by_label("项目类型").select_option(str(water_upgrade.pk))
    amount = page.locator("#id_amount_COD")
    expect(page.locator("label[for=id_amount_COD]")).to_contain_text("COD")

    amount.fill("2.5")
    expect(tier).to_have_text("小额打包项目")
    amount.fill("6")
    expect(tier).to_have_text("重点工程")
    expect(reason).to_contain_text("6.000")
    amount.fill("0.05")
    expect(tier).to_have_text("微小减排项目")
    assert page.js_errors == []

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


def test_no_tier_is_claimed_before_an_amount_is_entered(district_clerk_page):
    page = district_clerk_page
    visit(page, reverse("reductions:new"))
    tier, reason = page.locator("#tier-label"), page.locator("#tier-reason")
    expect(tier).to_have_text("—")
    expect(reason).to_contain_text("待填写减排量")

    # The rule answers "key project" for a type without amounts: the page does not say so.
    water_upgrade = ProjectType.objects.get(code="W_STRUCTURE")
    with page.expect_response(lambda r: reverse("reductions:tier") in r.url):
        page.get_by_label("项目类型").select_option(str(water_upgrade.pk))
    page.wait_for_timeout(200)  # let the answer be applied
    expect(tier).to_have_text("—")
    expect(reason).to_contain_text("待填写减排量")
    expect(page.locator("#tier-box")).not_to_contain_text("重点工程")

    amount = page.locator("#id_amount_COD")
    amount.fill("6")
    expect(tier).to_have_text("重点工程")
    amount.fill("")
    expect(tier).to_have_text("—")
    expect(reason).to_contain_text("待填写减排量")
    assert page.js_errors == []


def test_type_parameters_and_amounts_follow_the_chosen_type(district_clerk_page, artifacts):
    page = district_clerk_page
    visit(page, reverse("reductions:new"))
    boiler, sewage, fuel = (
        page.locator("#id_boiler_capacity"),
        page.locator("#id_sewage_capacity"),
        page.locator("#id_fuel_type"),
    )
    cod, nox = page.locator("#id_amount_COD"), page.locator("#id_amount_NOX")
    # Before a type is chosen: no parameters, no amounts, a hint where the amounts go.
    for field in (boiler, sewage, fuel, cod, nox):
        expect(field).to_be_hidden()
    expect(page.locator("#amounts-hint")).to_be_visible()
    expect(page.locator("fieldset legend")).to_have_text(["基本信息", "类型参数", "减排量"])

    # Types come in groups: 大气 and 水.
    groups = page.locator("#id_project_type optgroup")
    expect(groups).to_have_count(2)
    assert [groups.nth(i).get_attribute("label") for i in range(2)] == ["大气", "水"]

    coal_boiler = ProjectType.objects.get(code="A_COAL_BOILER")
    page.get_by_label("项目类型").select_option(str(coal_boiler.pk))
    expect(boiler).to_be_visible()
    expect(fuel).to_be_visible()
    expect(sewage).to_be_hidden()
    expect(nox).to_be_visible()
    expect(cod).to_be_hidden()
    expect(page.locator("#amounts-hint")).to_be_hidden()
    page.screenshot(path=str(artifacts / "coal-boiler.png"), full_page=True)

    # Another type: its own parameter shows, the boiler's hides (and is not posted).
    boiler.fill("35")
    rural_sewage = ProjectType.objects.get(code="W_RURAL_SEWAGE")
    page.get_by_label("项目类型").select_option(str(rural_sewage.pk))
    expect(sewage).to_be_visible()
    expect(boiler).to_be_hidden()
    expect(boiler).to_be_disabled()
    expect(fuel).to_be_hidden()
    expect(cod).to_be_visible()
    expect(nox).to_be_hidden()
    assert page.js_errors == []


def test_the_industry_list_can_be_searched_by_keyboard(district_clerk_page):
    page = district_clerk_page
    visit(page, reverse("reductions:new"))
    search = page.get_by_label("搜索行业（代码或名称）")
    expect(search).to_be_visible()
    search.fill("化学原料")  # one match: chosen at once
    expect(page.locator("#id_industry")).to_have_value("26")
    expect(page.locator("#id_industry_filter_count")).to_have_text("1 项匹配")

    search.fill("制造")
    search.press("Enter")  # the first match, and the form is not submitted
    assert page.url.endswith(reverse("reductions:new"))
    first = page.locator("#id_industry option:not([hidden])").nth(1)
    expect(page.locator("#id_industry")).to_have_value(first.get_attribute("value"))
    search.press("ArrowDown")
    expect(page.locator("#id_industry")).to_be_focused()
    assert page.js_errors == []

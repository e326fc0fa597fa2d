"""Editing a project and saving without retyping anything works (dates are ISO in the page)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import make_project

from .helpers import assert_chinese, assert_healthy, visit

pytestmark = pytest.mark.e2e


def test_clerk_saves_an_edited_project_without_retyping_its_date(
    district_clerk, district_clerk_page
):
    project = make_project(district_clerk, submit=False, completion_date=datetime.date(2025, 9, 30))
    page = district_clerk_page
    visit(page, reverse("reductions:edit", args=[project.pk]))
    assert_chinese(page)
    assert page.locator("#id_completion_date").input_value() == "2025-09-30"

    page.get_by_label("项目名称").fill("锅炉低氮改造（修订）")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**{reverse('reductions:detail', args=[project.pk])}")
    assert_healthy(page)
    project.refresh_from_db()
    assert project.name == "锅炉低氮改造（修订）"
    assert project.completion_date == datetime.date(2025, 9, 30)


def test_clerk_saves_a_project_with_type_parameters_without_retyping(
    district_clerk, district_clerk_page
):
    """The type's own fields (boiler size, fuel) come back filled and are posted; the
    fields of other types stay hidden and are not."""
    project = make_project(
        district_clerk,
        code="A_COAL_BOILER",
        submit=False,
        amounts={"NOX": "0.5"},
        boiler_capacity=Decimal("10"),
        fuel_type="GAS",
        completion_date=datetime.date(2025, 9, 30),
    )
    page = district_clerk_page
    visit(page, reverse("reductions:edit", args=[project.pk]))
    assert page.locator("#id_completion_date").input_value() == "2025-09-30"
    expect(page.locator("#id_boiler_capacity")).to_have_value("10.00")
    expect(page.locator("#id_sewage_capacity")).to_be_hidden()
    expect(page.locator("#tier-label")).to_have_text("小额打包项目")

    page.get_by_label("项目名称").fill("燃煤锅炉改燃气（修订）")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**{reverse('reductions:detail', args=[project.pk])}")
    assert_healthy(page)
    project.refresh_from_db()
    assert project.name == "燃煤锅炉改燃气（修订）"
    assert (project.boiler_capacity, project.fuel_type, project.tier) == (
        Decimal("10"),
        "GAS",
        "PACKAGE",
    )

"""Editing a project and saving without retyping anything works (dates are ISO in the page)."""

import datetime

import pytest
from django.urls import reverse

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

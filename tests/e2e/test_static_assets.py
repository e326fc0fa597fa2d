"""Front-end libraries come from package-lock.json and are served by the app itself."""

import pytest
from django.urls import reverse

from .helpers import visit

pytestmark = pytest.mark.e2e


def test_echarts_is_served_by_the_app_and_runs(district_clerk_page):
    page = district_clerk_page
    visit(page, reverse("home"))
    response = page.request.get("/static/vendor/echarts/echarts.min.js")
    assert response.status == 200
    page.add_script_tag(url="/static/vendor/echarts/echarts.min.js")
    assert page.evaluate("() => typeof echarts.init") == "function"

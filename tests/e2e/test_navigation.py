"""Each role signs in through the login form and opens every page its navigation offers."""

import pytest
from django.urls import reverse

from .conftest import PASSWORD, ROLES
from .helpers import assert_chinese, assert_healthy, nav_links, visit

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_and_opens_every_page_of_its_navigation(role, request, anonymous_page):
    user = request.getfixturevalue(role)
    page = anonymous_page

    visit(page, reverse("home"))
    assert reverse("login") in page.url
    assert_chinese(page)
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{reverse('home')}")
    assert_healthy(page)
    assert_chinese(page)
    assert f"欢迎，{user.username}" in page.locator("h1").inner_text()

    links = nav_links(page)
    labels = [label for label, _href in links]
    assert labels[0] == "首页" and "减排项目" in labels, labels
    for label, href in links:
        visit(page, href)
        assert_chinese(page)
        link = page.locator("header nav").get_by_role("link", name=label, exact=True).first
        if not link.is_visible():
            # Links that would not fit the bar sit under 更多 (More).
            page.locator("header nav details > summary").click()
        assert link.is_visible(), label

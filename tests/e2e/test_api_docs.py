"""The API documentation pages render in a browser from our own origin, under the CSP."""

import pytest
from django.urls import reverse

from .axe import axe_violations
from .helpers import visit

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("path", "rendered"),
    [("/api/docs/", ".swagger-ui .info"), ("/api/redoc/", ".api-content")],
)
def test_api_documentation_renders_from_our_origin_under_the_csp(anonymous_page, path, rendered):
    page = anonymous_page
    refused, requested = [], []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    # Requests that completed: one the policy blocked never leaves the browser.
    page.on("requestfinished", lambda r: requested.append(r.url))
    response = page.goto(path)
    assert response is not None and response.status == 200
    page.wait_for_selector(rendered, timeout=20_000)
    origin = response.url.split("/api/")[0]
    assert [url for url in requested if not url.startswith((origin, "data:", "blob:"))] == []
    # ReDoc's footer asks for its logo from its CDN: the policy blocks it (nothing is loaded
    # from outside); no script or style is refused.
    assert [text for text in refused if "Loading the image" not in text] == []
    assert [e for e in page.js_errors if "Loading the image" not in str(e)] == []


def test_the_token_page_shows_a_new_token_once_and_passes_axe(district_clerk_page):
    page = district_clerk_page
    visit(page, reverse("api_tokens"))
    assert axe_violations(page) == []
    page.get_by_role("button", name="创建令牌").click()
    secret = page.locator(".token-secret").inner_text()
    assert len(secret) == 64
    assert axe_violations(page) == []
    visit(page, reverse("api_tokens"))
    assert secret not in page.content()


@pytest.mark.parametrize(
    ("lang", "shown"),
    [("zh-hans", "指标账户，含余额、预占量和可用量"), ("en", "Quota accounts with balance")],
)
def test_the_api_documentation_reads_in_chinese_or_in_english(anonymous_page, lang, shown):
    page = anonymous_page
    page.goto(f"/api/redoc/?lang={lang}")
    page.wait_for_selector(".api-content", timeout=20_000)
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_text(shown).first.is_visible()
    other = "en" if lang == "zh-hans" else "zh-hans"
    assert page.locator(f"nav a[hreflang={other}]").count() == 1

"""What every browser journey checks on every page it opens."""

import re

HAN = re.compile(r"[\u4e00-\u9fff]")
CONFIRM_LABEL = "确认"  # the confirmation dialog's button (templates/base.html)


def visit(page, path: str):
    """Open a path, as a user following a link would, and check the page is healthy."""
    response = page.goto(path)
    assert response is not None, path
    assert response.status < 400, f"{path} answered {response.status}"
    assert_healthy(page)
    return response


def assert_healthy(page) -> None:
    """The page rendered: a heading, no server error, no script error."""
    page.wait_for_load_state("load")
    assert page.locator("h1").first.is_visible(), f"{page.url} has no visible heading"
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "Server Error" not in body, page.url
    assert page.js_errors == [], f"{page.url}: {page.js_errors}"


def assert_chinese(page) -> None:
    assert page.locator("html").get_attribute("lang") == "zh-hans", page.url
    assert HAN.search(page.locator("h1").first.inner_text()), f"{page.url}: heading not Chinese"
    header = page.locator("header").inner_text()
    assert HAN.search(header), f"{page.url}: top bar not Chinese: {header!r}"


def nav_links(page) -> list[tuple[str, str]]:
    """(label, path) of each link in the top navigation."""
    links = page.locator("header nav a")
    return [
        (links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href"))
        for i in range(links.count())
    ]


def click_and_confirm(page, button, *, expect_text: str | None = None) -> str:
    """Click a submit button that asks for confirmation (data-confirm) and confirm it.

    Returns the dialog's text, which says what will happen; with expect_text, checks it.
    """
    button.click()
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    text = dialog.locator(".confirm-text").inner_text()
    if expect_text is not None:
        assert expect_text in text, text
    dialog.get_by_role("button", name=CONFIRM_LABEL).click()
    page.wait_for_load_state("load")
    return text

"""What every browser journey checks on every page it opens."""

import re

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

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
    """(label, path) of each link in the top navigation, those under 更多 (More) too."""
    links = page.locator("header nav a")
    return [
        (links.nth(i).text_content().strip(), links.nth(i).get_attribute("href"))
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


# --- Journeys: what a user does on a page, written once ---------------------------------

ACTION_WAIT_MS = 15_000


def submit(
    page,
    button,
    *,
    confirm: bool = False,
    expect_text: str | tuple[str, ...] = (),
    snapshot=None,
) -> str | None:
    """Click a button that posts, confirming in the dialog when the page asks.

    After the click either the confirmation dialog opens (it is confirmed, and its text
    returned after checking that it says each of ``expect_text``) or the page navigates
    (None is returned; a form re-rendered with errors is a navigation too). With
    ``confirm``, the button must ask: an action that posts to the ledger or cannot be undone
    says what it will do before it does it. ``snapshot``: a path for a screenshot of the
    open dialog.
    """
    navigated: list = []

    def on_navigation(frame) -> None:
        if frame == page.main_frame:
            navigated.append(frame.url)

    dialog = page.locator("#confirm-dialog")
    page.on("framenavigated", on_navigation)
    try:
        button.click()
        for _tick in range(ACTION_WAIT_MS // 50):
            if navigated:
                page.wait_for_load_state("load")
                assert not confirm, f"{page.url}: posted without asking to confirm"
                return None
            try:
                if dialog.is_visible():
                    break
            except PlaywrightError:
                pass  # the page is being replaced: a navigation
            page.wait_for_timeout(50)
        else:
            raise AssertionError(f"{page.url}: the click neither posted nor asked to confirm")
    finally:
        page.remove_listener("framenavigated", on_navigation)
    text = dialog.locator(".confirm-text").inner_text()
    if snapshot is not None:
        page.screenshot(path=snapshot)
    for expected in (expect_text,) if isinstance(expect_text, str) else expect_text:
        assert expected in text, f"the confirmation does not say {expected!r}: {text!r}"
    with page.expect_navigation():
        dialog.get_by_role("button", name=CONFIRM_LABEL).click()
    page.wait_for_load_state("load")
    return text


def follow(page, name: str, *, exact: bool = True) -> None:
    """Click a link in the top navigation, as a user moves between pages; a link kept under
    the bar's 更多 (More) menu is reached by opening the menu first."""
    nav = page.locator("header nav")
    link = nav.get_by_role("link", name=name, exact=exact)
    if not link.count() and nav.locator("details > summary").count():
        nav.locator("details > summary").first.click()
    link.click()
    page.wait_for_load_state("load")
    assert_healthy(page)


def open_link(page, name: str, *, exact: bool = False, scope=None) -> None:
    """Click the first link of that name in the page's content (not the top bar)."""
    (scope or page.locator("main")).get_by_role("link", name=name, exact=exact).first.click()
    page.wait_for_load_state("load")
    assert_healthy(page)


def expect_message(page, text: str) -> None:
    """A flash message at the top of the page says ``text``."""
    expect(page.locator("main .messages")).to_contain_text(text)


def field(page, label: str):
    """The input labelled exactly ``label``, with or without the required-field mark."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def choose(page, label: str, option: str) -> None:
    """Pick the first option whose visible text contains ``option`` in the select ``label``.

    A select may be enhanced (a searchable list): the underlying <select> is found by its
    label either way; its options are matched by text, as the user reads them.
    """
    select = page.locator("select").and_(field(page, label)).first
    texts = select.locator("option").all_inner_texts()
    matches = [t for t in texts if option in t]
    assert matches, f"{label}: no option with {option!r} among {texts[:20]}"
    select.select_option(label=matches[0])


def open_from_inbox(page, title: str) -> None:
    """Open an item waiting for the user from 待我处理, as the user starts a task.

    The navigation names how many items wait (待我处理 (n)); the item is found by its title.
    """
    link = page.locator("header nav").get_by_role("link", name=re.compile(r"^待我处理"))
    expect(link).to_contain_text(re.compile(r"[1-9]"))
    link.click()
    page.wait_for_load_state("load")
    assert_healthy(page)
    page.locator("main").get_by_role("link", name=title).first.click()
    page.wait_for_load_state("load")
    assert_healthy(page)

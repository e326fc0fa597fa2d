"""Browser tests: Debian's Chromium driven by Playwright against a live Django server.

No browser is ever downloaded (`playwright install` is never run): Playwright launches the
system's /usr/bin/chromium. Without it the tests skip on a developer's machine and fail
under CI=true, like the `postgres` marker.

Every test that uses the live server runs on a transactional database (the server answers
from its own threads and connections, so nothing may stay in an uncommitted test
transaction). The flush after such a test also empties the reference data that the session
fixture loaded, so each browser test loads it again first. pytest-django runs
transactional tests after all others, so the rest of the suite never sees the flushed
database.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from ledger.demo import load_reference_data
from tests.conftest import _skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach Google's hosts,
# which this closed network refuses; QUIC likewise.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCALE = "zh-CN"
TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1440, "height": 900}
# The user fixtures of tests/conftest.py, one per role that signs in to the pages.
ROLES = [
    "district_clerk",
    "district_approver",
    "municipal_clerk",
    "municipal_approver",
    "enterprise_user",
    "auditor",
]
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory

# A loaded 2-core CI machine can be slow to answer; wait as long in assertions as in actions.
expect.set_options(timeout=TIMEOUT_MS)


def browser_missing() -> str | None:
    """Why browser tests cannot run here, or None when they can (Playwright itself is a
    pinned dev dependency, installed by make install)."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk"
    return None


def pytest_runtest_setup(item):
    if item.get_closest_marker("e2e") and (reason := browser_missing()):
        _skip_or_fail(reason)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Kept on the item so that fixture teardown knows whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests, closed when they are done.

    Playwright's sync API keeps an asyncio loop marked as running in this thread while it is
    started, and Django then refuses ORM calls from the thread unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set. Both last only as long as the browser tests: package
    scope ends them before any other test (or a subprocess it starts) runs in this process.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # launch() gives every browser a fresh, temporary user-data dir; each test then
            # gets a new context (its own cookies and storage).
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _reference_data_for_the_live_server(request):
    """Reload the reference data a previous transactional test flushed away."""
    if "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        load_reference_data()


@pytest.fixture
def artifacts(request) -> Path:
    """test-artifacts/<test name>/, emptied when the test starts."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


class Pages:
    """Opens pages in fresh browser contexts and screenshots them when the test ends."""

    def __init__(self, browser, base_url: str, artifacts: Path):
        self.browser = browser
        self.base_url = base_url
        self.artifacts = artifacts
        self.opened: list = []

    def open(self, user=None, *, locale: str = LOCALE):
        context = self.browser.new_context(base_url=self.base_url, locale=locale, viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        if user is not None:
            context.add_cookies([session_cookie(user, self.base_url)])
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                page.js_errors.append(message.text)
                if message.type == "error" and "favicon" not in message.location.get("url", "")
                else None
            ),
        )
        self.opened.append(page)
        return page

    def close(self, failed: bool) -> None:
        for index, page in enumerate(self.opened):
            suffix = f"-{index + 1}" if len(self.opened) > 1 else ""
            name = f"{'failure' if failed else 'final'}{suffix}"
            try:
                try:
                    page.screenshot(path=self.artifacts / f"{name}.png", full_page=True)
                except PlaywrightError:
                    # A very tall page (ReDoc) can outlast the timeout on a loaded machine:
                    # the visible part is still worth keeping.
                    page.screenshot(path=self.artifacts / f"{name}.png")
                if failed:
                    (self.artifacts / f"{name}.html").write_text(page.content())
            except PlaywrightError:
                # After a failure the page may be gone; the test's own error is what counts.
                if not failed:
                    raise
            finally:
                page.context.close()


def session_cookie(user, base_url: str) -> dict:
    """A signed-in session for the user, as the login form would have made it."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": base_url}


@pytest.fixture
def pages(browser, live_server, artifacts, request):
    opened = Pages(browser, live_server.url, artifacts)
    yield opened
    report = getattr(request.node, "rep_call", None)
    opened.close(failed=report is None or report.failed)


@pytest.fixture
def page_as(pages):
    """page_as(user): a page whose browser is signed in as that user."""
    return pages.open


@pytest.fixture
def anonymous_page(pages):
    return pages.open()


def _role_page(role: str):
    @pytest.fixture(name=f"{role}_page")
    def fixture(request, pages):
        return pages.open(request.getfixturevalue(role))

    fixture.__doc__ = f"A page signed in as the {role.replace('_', ' ')}."
    return fixture


for _role in ROLES:
    globals()[f"{_role}_page"] = _role_page(_role)

"""A real Chromium (Debian's, driven by Playwright) against the site on pytest-django's live server.

Every page is served with the production Content-Security-Policy added (Apache sends it in
production), so a script or style that policy would block fails here too. A failing test leaves a
full-page screenshot in test-output/<test name>.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Route, sync_playwright
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT_DIR = Path(__file__).resolve().parents[2] / "test-output"
# The policy deploy/apache sends for the site.
PRODUCTION_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@dataclass
class Visit:
    """A browser tab on the live site, with what the page said on the console and in dialogs."""

    page: Page
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: str = "/") -> None:
        self.page.goto(self.base_url + path)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Lets a fixture's teardown know whether the test body failed (item.rep_call.failed).
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Generator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    # Playwright's sync API keeps an asyncio loop registered on this thread, and Django then
    # refuses ORM calls from the test body (SynchronousOnlyOperation) although they are plain
    # synchronous calls; this is Django's documented switch for that. Restored afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    # The API's throttle counts in the default cache, which the live server's thread shares.
    cache.clear()


def _with_production_csp(route: Route) -> None:
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch()
    route.fulfill(
        response=response,
        headers={**response.headers, "content-security-policy": PRODUCTION_CSP},
    )


def _screenshot_name(test_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-") + ".png"


@pytest.fixture
def visit(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Generator[Visit]:
    """A fresh tab (own cookies and localStorage); parametrize indirectly with a viewport."""
    context = browser.new_context(viewport=getattr(request, "param", DESKTOP))
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    tab = Visit(page=page, base_url=live_server.url)
    page.route("**/*", _with_production_csp)

    def keep_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.console_errors.append(message.text)

    def dismiss(dialog: Dialog) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("console", keep_error)
    page.on("pageerror", lambda error: tab.console_errors.append(f"page error: {error}"))
    page.on("dialog", dismiss)
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        OUTPUT_DIR.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT_DIR / _screenshot_name(request.node.name)), full_page=True)
    context.close()

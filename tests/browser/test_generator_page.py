"""The generator page in a real Chromium against the real API (a live server in this process).

Requests ask for one or two lines and a single take per line so each generation stays short on CPU.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect
from pytest_django.fixtures import Settings

from generator import limits
from tests.browser.conftest import PHONE, Visit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

# The first generation of the run loads the model inside the live server's thread.
GENERATION_TIMEOUT_MS = 120_000
XSS_PREFIX = "<img src=x onerror=alert(1)>"


def _set_options(page: Page, *, lines: str, candidates: str = "1") -> None:
    options = page.locator("#options")
    if options.get_attribute("open") is None:
        page.locator("#options summary").click()
    page.fill("#lines", lines)
    page.fill("#candidates", candidates)


def _write(page: Page, prefix: str) -> None:
    page.fill("#prefix", prefix)
    page.press("#prefix", "Enter")


def _wait_for_lyrics(page: Page, count: int) -> list[str]:
    lines = page.locator("#lyrics li")
    expect(lines).to_have_count(count, timeout=GENERATION_TIMEOUT_MS)
    # Each line's text; its item also holds the co-writing tools (syllables, takes, buttons).
    return page.locator("#lyrics li .lyrics__line").all_text_contents()


def test_a_visitor_types_a_line_and_gets_lyrics(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _set_options(page, lines="2")
    _write(page, "we keep it moving")

    expect(page.locator("#generate-button")).to_be_disabled()
    expect(page.locator("#generate-form")).to_have_attribute("aria-busy", "true")
    lines = _wait_for_lyrics(page, 2)

    assert all(line.strip() for line in lines)
    expect(page.locator("#generate-button")).to_be_enabled()
    expect(page.locator("#result-meta")).to_contain_text("seed ")
    expect(page.locator("#history-list > li")).to_have_count(1)

    page.click("#copy-button")
    expect(page.locator("#copy-button")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "\n".join(lines)

    # The history lives in this browser: it is still there after a reload.
    page.reload()
    expect(page.locator("#history-list > li")).to_have_count(1)
    assert page.locator("#history-list .history-item__lines li").all_text_contents() == lines
    assert visit.console_errors == []


def test_again_writes_another_take_with_a_new_seed(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _set_options(page, lines="1")
    _write(page, "late night")
    _wait_for_lyrics(page, 1)
    first_meta = page.locator("#result-meta").text_content()

    page.click("#again-button")
    expect(page.locator("#history-list > li")).to_have_count(2, timeout=GENERATION_TIMEOUT_MS)
    assert page.locator("#result-meta").text_content() != first_meta


def test_the_xss_prefix_shows_as_text_and_runs_nothing(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _set_options(page, lines="2")
    with page.expect_response("**/api/generate/stream", timeout=GENERATION_TIMEOUT_MS) as answer:
        _write(page, XSS_PREFIX)
    served_lines = json.loads(answer.value.text().strip().splitlines()[-1])["done"]["lines"]
    assert "onerror" in served_lines[0]
    shown = _wait_for_lyrics(page, 2)

    # The page shows exactly the text the API sent: had any of it been parsed as HTML, the
    # tag would be gone from the text and an <img> would be in the page.
    assert shown == served_lines
    page.locator("#history-list summary").first.click()
    assert page.locator("#history-list .history-item__lines li").all_text_contents() == shown
    assert page.locator("main img").count() == 0
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert visit.dialogs == []
    assert visit.console_errors == []


def test_an_invalid_input_shows_the_servers_message_at_its_field(visit: Visit) -> None:
    visit.open()
    page = visit.page
    # Keyboard only: from the prefix, Tab to the button, Tab to "Options", Enter opens it.
    page.focus("#prefix")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#lines")).to_be_visible()
    page.fill("#lines", "40")
    page.press("#prefix", "Enter")

    error = page.locator("#lines-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("16")
    expect(page.locator("#lines")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#lines")).to_be_focused()
    expect(page.locator("#form-message")).to_contain_text("Lines")
    expect(page.locator("#result")).to_be_hidden()

    # Fixing the field clears its error.
    page.fill("#lines", "3")
    expect(error).to_be_hidden()


def test_too_many_requests_shows_how_long_to_wait(visit: Visit, settings: Settings) -> None:
    settings.RAPLYRICS_GENERATE_RATE = "1/min"
    visit.open()
    page = visit.page
    _set_options(page, lines="1")
    _write(page, "one more time")
    _wait_for_lyrics(page, 1)

    page.click("#again-button")
    message = page.locator("#form-message")
    expect(message).to_be_visible(timeout=GENERATION_TIMEOUT_MS)
    expect(message).to_contain_text("You can write again in")
    expect(message).to_have_class("notice notice--wait")
    expect(page.locator("#generate-button")).to_be_disabled()
    # The verse already written stays on the page.
    expect(page.locator("#lyrics li")).to_have_count(1)


def test_behind_a_proxy_path_the_page_posts_to_the_api_under_that_path(visit: Visit) -> None:
    # Plays a reverse proxy that mounts the site at /some/prefix/ (as ProxyPass would).
    mount = "/some/prefix"
    proxied: list[str] = []

    def proxy(route: Route) -> None:
        proxied.append(urlsplit(route.request.url).path)
        route.fulfill(response=route.fetch(url=route.request.url.replace(mount, "", 1)))

    visit.page.route(f"**{mount}/**", proxy)
    visit.open(f"{mount}/")
    page = visit.page
    _set_options(page, lines="1")
    _write(page, "far from home")
    _wait_for_lyrics(page, 1)
    assert f"{mount}/api/generate/stream" in proxied


def test_a_network_failure_says_the_server_could_not_be_reached(visit: Visit) -> None:
    visit.open()
    page = visit.page
    page.route("**/api/generate/stream", lambda route: route.abort("internetdisconnected"))
    _write(page, "offline")
    expect(page.locator("#form-message")).to_contain_text("Couldn't reach the server.")
    expect(page.locator("#generate-button")).to_be_enabled()


def test_a_generation_past_the_time_limit_shows_the_servers_reason(
    visit: Visit, settings: Settings
) -> None:
    # A limit no generation can meet: the API answers 503 with its reason.
    settings.GENERATION_TIME_LIMIT_S = 1e-9
    visit.open()
    page = visit.page
    _set_options(page, lines="1")
    _write(page, "slow")
    message = page.locator("#form-message")
    expect(message).to_be_visible(timeout=GENERATION_TIMEOUT_MS)
    expect(message).to_contain_text("The generator is unavailable right now.")
    # The reason is the server's: admission finds no time left to start, or the writer ran out.
    expect(message).to_contain_text(re.compile("fewer lines|could not start your request in time"))
    expect(page.locator("#generate-button")).to_be_enabled()


@pytest.mark.parametrize("visit", [PHONE], indirect=True)
def test_a_360px_phone_never_scrolls_sideways(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _set_options(page, lines="2")
    # A long unbroken word is the usual culprit.
    _write(page, "a" * 80 + " and then some")
    _wait_for_lyrics(page, 2)
    page.locator("#history-list summary").first.click()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert page.evaluate("document.body.scrollWidth") <= PHONE["width"]


def test_the_page_runs_under_the_production_content_security_policy(visit: Visit) -> None:
    visit.open()
    page = visit.page
    page.fill("#prefix", "abc")
    # The counter is updated by the script: it ran, from static/, under default-src 'self'.
    expect(page.locator("#prefix-count")).to_have_text(f"3 / {limits.PREFIX_MAX_CHARS}")
    page.locator("#options summary").click()
    page.focus("#temperature")
    page.keyboard.press("End")
    expect(page.locator("#temperature-value")).to_contain_text("wild")
    assert [error for error in visit.console_errors if "Content Security Policy" in error] == []
    assert visit.console_errors == []


# Records, in the page, when each count of shown lines first appeared.
_WATCH_LINES = """() => {
  window.lineCounts = [];
  const list = document.getElementById("lyrics");
  new MutationObserver(() => {
    window.lineCounts.push([list.children.length, performance.now()]);
  }).observe(list, { childList: true });
}"""


def test_line_one_shows_while_the_later_lines_are_written(visit: Visit) -> None:
    visit.open()
    page = visit.page
    page.evaluate(_WATCH_LINES)
    _set_options(page, lines="6", candidates="4")
    _write(page, "city lights")
    _wait_for_lyrics(page, 6)
    expect(page.locator("#generate-button")).to_be_enabled()

    counts = page.evaluate("window.lineCounts")
    first_shown = min(at for count, at in counts if count >= 1)
    last_shown = min(at for count, at in counts if count >= 6)
    assert counts[0][0] == 1  # line 1 alone, before any later line
    assert first_shown < last_shown
    expect(page.locator("#result-meta")).to_contain_text("seed ")
    assert visit.console_errors == []

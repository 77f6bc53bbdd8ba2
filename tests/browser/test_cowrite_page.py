"""Co-writing on the generator page, in a real Chromium against the real API (live server) with
the shipped demo model: takes, lock and rewrite, rewrite one line, a person's own line, syllables,
save and share; keyboard only and at 360 px; a hostile saved verse stays text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from generator.drafts import SavedLine, save_draft
from generator.ml.syllables import line_syllables
from generator.models import ModelVersion
from tests.browser.conftest import PHONE, Visit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

MOVE_TIMEOUT_MS = 120_000
HOSTILE = ["<script>alert(1)</script> on the mic", "<img src=x onerror=alert(2)> in the booth"]


@pytest.fixture(autouse=True)
def _demo(demo_version: ModelVersion) -> None:
    """Every test here co-writes with the shipped demo model (tests/cowrite/conftest.py)."""


def _options(
    page: Page, *, lines: str, candidates: str = "3", syllables: tuple[str, str] = ("", "")
) -> None:
    if page.locator("#options").get_attribute("open") is None:
        page.locator("#options summary").click()
    page.fill("#lines", lines)
    page.fill("#candidates", candidates)
    page.fill("#seed", "7")
    page.fill("#syllables", syllables[0])
    page.fill("#syllables_max", syllables[1])


def _write(page: Page, prefix: str, count: int) -> list[str]:
    page.fill("#prefix", prefix)
    page.press("#prefix", "Enter")
    return _settled(page, count)


def _settled(page: Page, count: int) -> list[str]:
    """The verse's lines once no move is running and it has `count` lines with their tools."""
    expect(page.locator("#lyrics li")).to_have_count(count, timeout=MOVE_TIMEOUT_MS)
    expect(page.locator("#lyrics .verse-line__tools").first).to_be_visible(timeout=MOVE_TIMEOUT_MS)
    expect(page.locator("#save-button")).to_be_enabled(timeout=MOVE_TIMEOUT_MS)
    return page.locator("#lyrics .lyrics__line").all_text_contents()


def _line(page: Page, index: int):  # type: ignore[no-untyped-def]
    return page.locator(f"#lyrics li[data-index='{index}']")


def test_picking_a_take_replaces_the_line_with_it(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _options(page, lines="2", candidates="4")
    before = _write(page, "we run the city", 2)

    picker = page.locator("#lyrics select").first
    index = int(picker.get_attribute("data-index") or 0)
    options = picker.locator("option").all_text_contents()
    assert len(options) >= 2 and options[0].endswith(before[index])
    picker.select_option("1")

    expect(_line(page, index).locator(".lyrics__line")).to_have_text(options[1].split(": ", 1)[1])
    expect(page.locator(f"#take-{index}")).to_be_focused()
    assert visit.console_errors == []


def test_locked_lines_stay_while_the_others_are_rewritten(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _options(page, lines="4", candidates="2")
    before = _write(page, "late night", 4)

    _line(page, 0).get_by_role("button", name="Lock").click()
    _line(page, 2).get_by_role("button", name="Lock").click()
    expect(_line(page, 2).get_by_role("button", name="Locked")).to_have_attribute(
        "aria-pressed", "true"
    )
    with page.expect_response("**/api/cowrite/rewrite", timeout=MOVE_TIMEOUT_MS) as answer:
        page.click("#rewrite-button")
    written = [line["written"] for line in answer.value.json()["lines"]]
    after = _settled(page, 4)

    assert written == [False, True, False, True]
    assert after[0] == before[0] and after[2] == before[2]
    assert after != before
    assert visit.console_errors == []


def test_rewriting_one_line_leaves_the_others(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _options(page, lines="3", candidates="2")
    before = _write(page, "money talks", 3)

    with page.expect_response("**/api/cowrite/line", timeout=MOVE_TIMEOUT_MS):
        _line(page, 1).get_by_role("button", name="Rewrite").click()
    after = _settled(page, 3)

    assert after[0] == before[0] and after[2] == before[2]
    assert visit.console_errors == []


def test_a_persons_own_line_is_kept_and_the_model_continues_after_it(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _options(page, lines="1", candidates="2")
    _write(page, "cold wind", 1)

    page.click("#own-line-button")
    expect(page.locator("#own-line-1")).to_be_focused()
    page.fill("#own-line-1", "I wrote this one myself tonight")
    page.press("#own-line-1", "Enter")
    mine = _line(page, 1)
    expect(mine.locator(".lyrics__line")).to_have_text("I wrote this one myself tonight")
    expect(mine.locator(".lyrics__yours")).to_have_count(1)
    expect(mine.get_by_role("button", name="Locked")).to_be_visible()

    with page.expect_response("**/api/cowrite/continue", timeout=MOVE_TIMEOUT_MS):
        page.click("#continue-button")
    lines = _settled(page, 3)
    assert lines[1] == "I wrote this one myself tonight" and lines[2]
    assert visit.console_errors == []


def test_asked_syllables_show_beside_each_line_in_range(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _options(page, lines="3", candidates="3", syllables=("6", "8"))
    _write(page, "we run", 3)

    counts = [
        int(text.split()[0]) for text in page.locator(".verse-line__syllables").all_text_contents()
    ]
    assert len(counts) == 3 and all(6 <= count <= 8 for count in counts), counts

    with (
        page.expect_request("**/api/cowrite/continue") as asked,
        page.expect_response("**/api/cowrite/continue", timeout=MOVE_TIMEOUT_MS),
    ):
        page.click("#continue-button")
    lines = _settled(page, 4)
    # The next move asks for the same range, with no seed (a move is a new take: the seed was
    # the first write's); the line it writes aims at the range (the chooser's syllable term: with
    # 3 candidates none may land in it, as once in a suite run), and every line shows its count.
    assert asked.value.post_data_json["syllables"] == {"min": 6, "max": 8}
    assert "seed" not in asked.value.post_data_json
    counts = [
        int(text.split()[0]) for text in page.locator(".verse-line__syllables").all_text_contents()
    ]
    assert counts == [line_syllables(line) for line in lines]
    assert all(6 <= count <= 8 for count in counts[:3]), counts


def test_a_saved_verse_opens_from_its_link_in_a_fresh_browser(
    visit: Visit, browser: Browser
) -> None:
    visit.open()
    page = visit.page
    _options(page, lines="2", candidates="2")
    lines = _write(page, "paper chase", 2)
    page.locator("#lyrics select").first.select_option("1") if page.locator(
        "#lyrics select"
    ).count() else None
    lines = page.locator("#lyrics .lyrics__line").all_text_contents()

    page.click("#save-button")
    link = page.locator("#share-link")
    expect(link).to_be_focused(timeout=MOVE_TIMEOUT_MS)
    url = link.get_attribute("href") or ""
    assert re.search(r"/drafts/[\w-]+$", url)

    fresh = browser.new_context()
    try:
        other = fresh.new_page()
        other.goto(url)
        expect(other.locator("#draft-lines li")).to_have_count(2)
        assert other.locator("#draft-lines li").all_text_contents() == lines
        expect(other.locator("#draft-model")).to_contain_text("demo")
        expect(other.locator(".how-made__lines")).to_contain_text("take")
        with other.expect_download() as download:
            other.click("#download-draft")
        assert download.value.suggested_filename.endswith(".txt")
    finally:
        fresh.close()


def test_the_whole_co_write_works_from_the_keyboard(visit: Visit) -> None:
    """No mouse, no programmatic focus: Tab, Enter, Space, an arrow key and typing only."""
    visit.open()
    page = visit.page

    def tab_to(selector: str) -> None:
        for _ in range(120):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#prefix")
    page.keyboard.type("keys only")
    tab_to("#options summary")
    page.keyboard.press("Enter")
    tab_to("#seed")
    page.keyboard.type("7")
    page.keyboard.press("Enter")  # submits the form; the other options as they are: 5 lines
    before = _settled(page, 5)

    tab_to("#lyrics li[data-index='0'] [data-action='lock']")
    page.keyboard.press("Space")
    expect(_line(page, 0).get_by_role("button", name="Locked")).to_be_focused()
    tab_to("#lyrics li[data-index='1'] select")
    page.keyboard.press("ArrowDown")  # a closed select changes its take on an arrow key
    expect(page.locator("#take-1")).to_be_focused()
    assert page.locator("#take-1").input_value() == "1"

    tab_to("#rewrite-button")
    with page.expect_response("**/api/cowrite/rewrite", timeout=MOVE_TIMEOUT_MS):
        page.keyboard.press("Enter")
    after = _settled(page, 5)
    assert after[0] == before[0]
    expect(page.locator("#rewrite-button")).to_be_focused()

    tab_to("#own-line-button")
    page.keyboard.press("Enter")
    expect(page.locator("#own-line-5")).to_be_focused()
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")
    expect(_line(page, 5).locator(".lyrics__line")).to_have_text("typed without a mouse")

    tab_to("#save-button")
    page.keyboard.press("Enter")
    expect(page.locator("#share-link")).to_be_focused(timeout=MOVE_TIMEOUT_MS)
    assert visit.console_errors == []


@pytest.mark.parametrize("visit", [PHONE], indirect=True)
def test_co_writing_fits_a_360px_phone(visit: Visit) -> None:
    visit.open()
    page = visit.page
    _options(page, lines="3", candidates="3")
    _write(page, "a" * 60 + " and then some", 3)
    page.click("#save-button")
    expect(page.locator("#share-link")).to_be_visible(timeout=MOVE_TIMEOUT_MS)

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("document.body.scrollWidth") <= PHONE["width"]
    page.goto(page.locator("#share-link").get_attribute("href") or "")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_hostile_saved_verse_is_text_on_its_page_and_in_the_admin(
    visit: Visit, live_server: LiveServer
) -> None:
    from django.contrib.auth import get_user_model

    draft = save_draft(
        lines=[SavedLine(text=text, takes=(text,), picked=0) for text in HOSTILE],
        model_version_id=None,
        seed=1,
        shape={},
    )
    page = visit.page
    visit.open(f"/drafts/{draft.key}")
    assert page.locator("#draft-lines li").all_text_contents() == HOSTILE
    assert page.locator("main img").count() == 0

    get_user_model().objects.create_superuser("boss", "boss@example.com", "a-long-password-1")
    visit.open("/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "a-long-password-1")
    page.click("input[type=submit]")
    visit.open(f"/admin/generator/draft/{draft.pk}/change/")
    expect(page.locator(".draft-verse__lines li").first).to_contain_text(HOSTILE[0])
    assert page.locator("#content img[src='x']").count() == 0
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert visit.dialogs == []

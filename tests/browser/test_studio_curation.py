"""Staff curate in a real Chromium (production CSP): scrape an ambiguous name against the fake
Genius, edit and revert a verse, save a previewed rule, build a corpus. A failing test leaves a
screenshot in test-output/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lyrics.cleaning.defaults import default_rule_rows
from lyrics.cleaning.verses import clean_lyrics
from lyrics.models import Artist, CleaningRule, Corpus, Verse
from tests.browser.conftest import Visit
from tests.factories import ArtistFactory, SongFactory, UserFactory

# The fake Genius server on 127.0.0.1 and settings pointing at it.
from tests.scraping.conftest import fake_genius, genius_settings  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def log_in(visit: Visit) -> Page:
    UserFactory(username="curator", is_staff=True, is_superuser=True)
    visit.open("/admin/login/")
    page = visit.page
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_contain_text("RapLyrics studio")
    return page


def test_staff_edit_a_verse_see_the_difference_and_revert_it(visit: Visit) -> None:
    song = SongFactory(raw_lyrics="[Verse 1]\nLate train home\nCounting every light")
    clean_lyrics()
    verse = Verse.objects.get(song=song)
    page = log_in(visit)

    visit.open(f"/admin/lyrics/verse/{verse.pk}/change/")
    page.fill("#id_text", "Late train home\nCounting every streetlight")
    page.click("input[name=_continue]")

    expect(page.locator("tr.diff-removed")).to_contain_text("Counting every light")
    expect(page.locator("tr.diff-added")).to_contain_text("Counting every streetlight")
    page.click("input[name=_revert]")

    expect(page.locator(".messagelist")).to_contain_text("Reverted to fresh cleaning")
    expect(page.locator("#id_text")).to_have_value("Late train home\nCounting every light")
    verse.refresh_from_db()
    assert not verse.is_edited
    assert visit.console_errors == []


def test_staff_preview_a_new_rule_and_save_it(visit: Visit) -> None:
    SongFactory(raw_lyrics="[Verse 1]\nHey, the city sleeps\nHey, the river keeps")
    page = log_in(visit)

    visit.open("/admin/lyrics/cleaningrule/")
    page.click("text=Preview a new rule")
    page.fill("#id_name", "drop hey")
    page.fill("#id_pattern", r"\bhey, ")
    page.fill("#id_flags", "i")
    page.click("input[value=Preview]")

    expect(page.locator("text=songs changed")).to_be_visible()
    page.click("input[value='Save as a new rule']")

    expect(page.locator(".messagelist")).to_contain_text("Rule 'drop hey' saved and enabled")
    rule = CleaningRule.objects.get(name="drop hey")
    assert (rule.pattern, rule.flags, rule.enabled) == (r"\bhey, ", "i", True)
    assert visit.console_errors == []


def test_staff_build_a_corpus_and_read_its_artists(visit: Visit) -> None:
    for name in ("North Example", "South Sample"):
        SongFactory(
            artist=ArtistFactory(name=name),
            raw_lyrics="[Verse 1]\nPaper planes above the block\nWatching every ticking clock",
        )
    clean_lyrics()
    page = log_in(visit)

    visit.open("/admin/lyrics/corpus/")
    page.click("text=Build a corpus…")
    page.fill("#id_min_chars", "10")
    page.click("input[value='Build the corpus']")

    expect(page.locator(".messagelist")).to_contain_text("built")
    expect(page.locator("svg.share-chart rect.share-bar")).to_have_count(2)
    expect(page.locator("table.share-table")).to_contain_text("North Example")
    expect(page.locator("pre.corpus-text")).to_contain_text("Paper planes above the block")
    assert Corpus.objects.get().min_chars == 10
    assert visit.console_errors == []


@pytest.mark.usefixtures("genius_settings")
def test_staff_scrape_an_ambiguous_name_by_picking_the_artist(visit: Visit) -> None:
    page = log_in(visit)

    visit.open("/admin/lyrics/artist/")
    page.click("text=Scrape an artist by name…")
    page.fill("#id_name", "Mirror Twin")
    page.fill("#id_songs_per_artist", "1")
    page.click("input[value='Search Genius']")
    page.get_by_label("MIRROR-TWIN (id 304)").check()
    page.click("input[value=Start]")

    expect(page.locator(".messagelist")).to_contain_text("has 1 of 1 songs")
    expect(page.locator(".field-scrape_progress")).to_contain_text("has 1 of 1 songs")
    assert Artist.objects.get().genius_id == 304
    assert visit.console_errors == []


def test_the_rules_list_fits_a_1280_px_window(visit: Visit) -> None:
    # The shipped rules come from a data migration, which a live-server test flushed before this
    # one may have removed: install them again if so.
    if not CleaningRule.objects.exists():
        CleaningRule.objects.bulk_create(CleaningRule(**row) for row in default_rule_rows())
    page = log_in(visit)

    visit.open("/admin/lyrics/cleaningrule/")

    expect(page.locator("#result_list")).to_contain_text("invisible characters")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert (
        page.evaluate("document.querySelector('#result_list').getBoundingClientRect().right")
        <= 1280
    )
    expect(page.locator(".paginator")).to_contain_text("cleaning rules")

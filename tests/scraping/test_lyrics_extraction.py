"""Lyrics come out of a song page as the reader sees them, with nothing of the page around them."""

from __future__ import annotations

import pytest

from lyrics.cleaning.defaults import DEFAULT_RULES
from lyrics.cleaning.engine import compile_rules
from lyrics.cleaning.splitter import clean_song_text
from scraping.errors import NoLyricsError
from scraping.lyrics_html import extract_lyrics
from tests.fakegenius.catalog import FakeSong, default_catalog, invented_sections
from tests.fakegenius.pages import PAGES_DIR, render_song_page

GLASS_ELEVATOR_LYRICS = """[Intro: Ünder]
Yeah, uh

[Verse 1: Ünder]
Ride the glass to the ninth floor, city in a snow globe
Coat got holes but the pockets still hold hope
Mama said "keep it light" & I kept it lighter
Every   floor   a   little   brighter

[Chorus]
Up, up & away, no rope, no cable
Ten floors up, we eat off the table

[Verse 2: Över]
Émigré on the eighth, I wave at the cleaners
Windows so clean you could read the demeanour

[Outro]
Ding"""


def test_it_reads_nested_links_italics_and_line_breaks_in_page_order() -> None:
    html = (PAGES_DIR / "glass_elevator.html").read_text(encoding="utf-8")

    assert extract_lyrics(html) == GLASS_ELEVATOR_LYRICS


def test_it_leaves_out_the_header_the_recommendations_scripts_and_comments() -> None:
    lyrics = extract_lyrics((PAGES_DIR / "glass_elevator.html").read_text(encoding="utf-8"))

    for furniture in ("Contributors", "You might also like", "Decoy", "Advertisement", "Embed"):
        assert furniture not in lyrics
    assert "PRELOADED" not in lyrics
    assert "annotation marker" not in lyrics


def test_it_recovers_every_line_of_a_rendered_page_split_over_two_containers() -> None:
    catalog = default_catalog()
    song = FakeSong(
        genius_id=1, title="Round Trip", primary_artist_id=101, sections=invented_sections(7)
    )

    html = render_song_page(song, catalog.artists[101])

    assert html.count('data-lyrics-container="true"') == 2
    assert extract_lyrics(html) == song.expected_lyrics


def test_it_reports_a_page_without_a_lyrics_container() -> None:
    html = "<html><body><h1>Blank Canvas</h1><p>Lyrics not yet transcribed.</p></body></html>"

    with pytest.raises(NoLyricsError, match="no lyrics container"):
        extract_lyrics(html)


def test_it_reports_containers_that_hold_only_page_furniture() -> None:
    html = (
        '<div data-lyrics-container="true"><div class="LyricsHeader__Container-x">'
        "1 Contributor</div><br/><br/></div>"
    )

    with pytest.raises(NoLyricsError, match="empty"):
        extract_lyrics(html)


def test_a_block_left_out_mid_line_still_ends_the_line() -> None:
    html = (
        '<div data-lyrics-container="true">[Hook]<div data-exclude-from-selection="true">'
        "You might also like</div>Count it twice</div>"
    )

    assert extract_lyrics(html) == "[Hook]\nCount it twice"


# Genius cuts its lyrics into two containers where it places an ad, often inside a verse: the
# first container ends with the line's break and the recommendations, the next one goes on with
# the verse's next line.
AD_SPLIT_PAGE = (
    '<!DOCTYPE html><html><body><main><div id="lyrics-root">'
    '<div data-lyrics-container="true" class="Lyrics__Container-sc-1ynbvzw-1">[Verse 1]<br/>'
    "Streetlight hums a tune in B<br/>Paper boats on the gutter sea<br/>"
    '<div data-exclude-from-selection="true" class="InreadContainer__Container-sc-1">'
    '<div class="SongRecommendations"><span>You might also like</span><a href="/songs/1">'
    "<div>Decoy</div></a></div></div></div>\n"
    '<div class="RightSidebar__Container-sc-1" data-exclude-from-selection="true">Ad</div>\n'
    '<div data-lyrics-container="true" class="Lyrics__Container-sc-1ynbvzw-1">'
    "Bus stop preacher with a borrowed key<br/>Nobody listens but the rain and me<br/><br/>"
    "[Chorus]<br/>Hum it, hum it</div>"
    "</div></main></body></html>"
)


def test_an_ad_that_splits_a_verse_over_two_containers_leaves_no_blank_line() -> None:
    lyrics = extract_lyrics(AD_SPLIT_PAGE)

    assert lyrics == (
        "[Verse 1]\nStreetlight hums a tune in B\nPaper boats on the gutter sea\n"
        "Bus stop preacher with a borrowed key\nNobody listens but the rain and me\n\n"
        "[Chorus]\nHum it, hum it"
    )
    verses = clean_song_text(lyrics, compile_rules(DEFAULT_RULES)).verses
    assert [verse.section_label for verse in verses] == ["Verse 1", "Chorus"]

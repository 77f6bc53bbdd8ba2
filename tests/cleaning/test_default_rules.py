"""The shipped rules on invented lyrics with every kind of clutter, and their idempotence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyrics.cleaning.defaults import DEFAULT_RULES, default_rule_rows
from lyrics.cleaning.engine import apply_rules, compile_rules
from lyrics.cleaning.rule_types import CompiledRule
from lyrics.cleaning.splitter import clean_song_text
from lyrics.models import CleaningRule
from tests.cleaning.lyrics_fixtures import CLEAN_VERSES, CLUTTERED_SONG

RULES: list[CompiledRule] = compile_rules(DEFAULT_RULES)

# Pieces of what scraped pages contain, so generated text hits the rules, not just random letters.
CLUTTER = [
    "Embed",
    "123Embed",
    "12 Contributors",
    "Lyrics",
    "You might also like",
    "[Chorus]",
    "[Verse 1: Someone]",
    "[?]",
    "Produced by ",
    "Written by ",
    "https://x.test/a",
    "www.a.test",
    "©",
    "®",
    "™",
    "\u2019",
    "\u2018",
    "\u201c",
    "\u201d",
    "\u2014",
    "\u2013",
    "\u2026",
    "gettin'",
    "Nothin\u2019",
    "cuz",
    "thru",
    "'em",
    "*laughs*",
    "(x2)",
    "\u00a0",
    "\u200b",
    "\t",
    "  ",
    " ",
    "\n",
    "\n\n",
    "\n\n\n",
    "\r\n",
    "yeah",
    "money",
    "city",
    "Ridin",
    "'",
]
cluttered_text = st.lists(
    st.one_of(st.sampled_from(CLUTTER), st.text(max_size=6)), max_size=40
).map("".join)


@settings(max_examples=200, deadline=None)
@given(cluttered_text)
def test_cleaning_clean_text_changes_nothing(text: str) -> None:
    once = apply_rules(text, RULES)
    assert once.settled
    assert apply_rules(once.text, RULES).text == once.text


@settings(max_examples=100, deadline=None)
@given(cluttered_text)
def test_splitting_clean_verses_again_gives_the_same_verses(text: str) -> None:
    verses = clean_song_text(text, RULES).verses
    rejoined = "\n\n".join(verse.text for verse in verses)
    again = clean_song_text(rejoined, RULES, dedupe_repeats=False).verses
    assert [verse.text for verse in again] == [verse.text for verse in verses]


def test_default_rules_turn_a_cluttered_scrape_into_clean_verses() -> None:
    cleaning = clean_song_text(CLUTTERED_SONG, RULES)
    assert [(verse.section_label, verse.text) for verse in cleaning.verses] == CLEAN_VERSES
    assert cleaning.dropped_repeats == 1
    for rule_name in [
        "contributors header",
        "embed trailer",
        "ticket advert",
        "you might also like",
        "credits lines",
        "urls",
        "copyright lines",
        "trademark symbols",
        "bracketed annotations",
        "starred stage directions",
        "repeat markers",
        "curly apostrophes",
        "curly double quotes",
        "dashes",
        "ellipsis",
        "unusual spaces",
        "spelling: getting",
        "spelling: nothing",
        "spelling: riding",
        "spelling: 'cause",
        "spelling: y'all",
    ]:
        assert cleaning.match_counts[rule_name] > 0, rule_name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Line one\r\nLine two", "Line one\nLine two"),
        ("Line  with\t\ttabs   ", "Line with tabs"),
        ("A\n\n\n\nB", "A\n\nB"),
        ("Goin\u2019 thru it \u2018cuz I\u2019m runnin", "Going through it 'cause I'm running"),
        ("Produced and mixed by Nobody\nReal line", "Real line"),
        ("A line the producer wrote by hand", "A line the producer wrote by hand"),
        ("Ten toes down (2x)", "Ten toes down"),
    ],
)
def test_default_rules_on_single_lines(raw: str, clean: str) -> None:
    assert apply_rules(raw, RULES).text == clean


@pytest.mark.django_db
def test_the_data_migration_installs_the_default_rules_in_order() -> None:
    installed = list(CleaningRule.objects.in_order().values_list("name", "position", "enabled"))
    expected = [(row["name"], row["position"], True) for row in default_rule_rows()]
    assert installed == expected
    for rule in CleaningRule.objects.all():
        rule.compiled()  # every shipped rule compiles from the database


def test_a_run_of_embed_trailers_goes_in_one_pass() -> None:
    cleaned = apply_rules("Last line of the song\n" + "Embed " * 6, RULES)
    assert cleaned.settled
    assert cleaned.text.strip() == "Last line of the song"

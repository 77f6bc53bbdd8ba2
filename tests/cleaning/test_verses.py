"""Rebuilding verses from raw lyrics: splitting, idempotent re-runs, staff edits and exclusions."""

from __future__ import annotations

import pytest

from lyrics import services
from lyrics.cleaning.differences import fresh_cleaning_difference
from lyrics.cleaning.splitter import split_sections
from lyrics.cleaning.verses import clean_lyrics, fresh_cleaning_for_verse
from lyrics.models import CleaningRule, Song, Verse
from tests.cleaning.lyrics_fixtures import CLEAN_VERSES, CLUTTERED_SONG, HEADERLESS_SONG
from tests.factories import SongFactory


def verses_of(song: Song) -> list[tuple[str, str]]:
    return list(song.verses.order_by("position").values_list("section_label", "text"))


def test_headers_anywhere_on_a_line_split_sections_and_give_labels() -> None:
    sections = split_sections(
        "Intro words[Verse 1: Some Artist & Another]\nfirst\nChorus:\nhook line\n(Bridge)\nlast"
    )
    assert [(section.label, section.body.strip()) for section in sections] == [
        ("", "Intro words"),
        ("Verse 1", "first"),
        ("Chorus", "hook line"),
        ("Bridge", "last"),
    ]


@pytest.mark.django_db
def test_it_splits_a_scraped_song_into_clean_labelled_verses() -> None:
    song = SongFactory(raw_lyrics=CLUTTERED_SONG)
    summary = clean_lyrics()
    assert verses_of(song) == CLEAN_VERSES
    assert summary.verses_created == len(CLEAN_VERSES)
    assert summary.repeats_dropped == 1
    assert all(verse.cleaned_text == verse.text for verse in song.verses.all())


@pytest.mark.django_db
def test_without_headers_blank_lines_split_verses_and_a_repeated_stanza_is_kept_once() -> None:
    song = SongFactory(raw_lyrics=HEADERLESS_SONG)
    clean_lyrics(song_ids=[song.pk])
    assert [label for label, _ in verses_of(song)] == ["", ""]
    assert verses_of(song)[1][1].startswith("Bus fare in my sneaker")

    clean_lyrics(song_ids=[song.pk], dedupe_repeats=False)
    assert len(verses_of(song)) == 3


@pytest.mark.django_db
def test_re_cleaning_with_the_same_rules_writes_nothing() -> None:
    song = SongFactory(raw_lyrics=CLUTTERED_SONG)
    clean_lyrics()
    stamps = list(song.verses.values_list("pk", "updated_at"))

    second = clean_lyrics()

    assert second.songs_changed == 0
    assert (second.verses_created, second.verses_updated, second.verses_deleted) == (0, 0, 0)
    assert list(song.verses.values_list("pk", "updated_at")) == stamps


@pytest.mark.django_db
def test_edits_and_exclusions_survive_re_cleaning_with_changed_rules() -> None:
    song = SongFactory(raw_lyrics=CLUTTERED_SONG)
    clean_lyrics()
    intro, verse_one, chorus, verse_two = song.verses.order_by("position")
    services.edit_verse_text(verse=verse_one, text="I been getting money since the bus stop")
    services.set_verses_included(verse_ids=[chorus.pk], included=False)
    # A staff change to the rules: drop "Yeah, uh" lines, so every later verse moves up one.
    CleaningRule.objects.create(position=5, name="drop yeah uh", pattern=r"^Yeah, uh.*$", flags="m")

    summary = clean_lyrics()

    assert summary.verses_deleted == 1  # the intro, now empty
    verse_one.refresh_from_db()
    chorus.refresh_from_db()
    verse_two.refresh_from_db()
    assert (verse_one.position, verse_one.text) == (0, "I been getting money since the bus stop")
    assert verse_one.is_edited
    assert verse_one.cleaned_text == CLEAN_VERSES[1][1]
    assert (chorus.position, chorus.included) == (1, False)
    assert verse_two.position == 2 and verse_two.text == CLEAN_VERSES[3][1]
    assert not Verse.objects.filter(pk=intro.pk).exists()
    assert summary.edits_differing == 1


@pytest.mark.django_db
def test_an_edited_verse_that_fresh_cleaning_no_longer_gives_is_kept_at_the_end() -> None:
    song = SongFactory(raw_lyrics="[Verse 1]\nfirst line\n\nsecond stanza")
    clean_lyrics()
    second = song.verses.get(position=1)
    services.edit_verse_text(verse=second, text="second stanza, improved")
    song.set_raw_lyrics("[Verse 1]\nfirst line")
    song.save()

    clean_lyrics()

    second.refresh_from_db()
    assert (second.position, second.text, second.cleaned_text) == (1, "second stanza, improved", "")
    assert "no longer produces" in fresh_cleaning_difference(second).message


@pytest.mark.django_db
def test_the_admin_difference_shows_where_fresh_cleaning_now_differs_from_an_edit() -> None:
    song = SongFactory(raw_lyrics="[Verse 1]\nfirst line\nsecond line")
    clean_lyrics()
    verse = song.verses.get()
    services.edit_verse_text(verse=verse, text="first line\nsecond line, edited")

    assert fresh_cleaning_for_verse(verse) == "first line\nsecond line"
    difference = fresh_cleaning_difference(verse)
    assert [(line.sign, line.text) for line in difference.lines] == [
        (" ", "first line"),
        ("-", "second line"),
        ("+", "second line, edited"),
    ]
    assert difference.can_revert


@pytest.mark.django_db
def test_a_dry_run_reports_but_writes_nothing() -> None:
    song = SongFactory(raw_lyrics=CLUTTERED_SONG)
    summary = clean_lyrics(dry_run=True)
    assert summary.verses_created == len(CLEAN_VERSES)
    assert not song.verses.exists()


@pytest.mark.django_db
def test_songs_without_raw_lyrics_keep_their_hand_entered_verses() -> None:
    song = SongFactory(raw_lyrics="")
    Verse.objects.create(song=song, position=0, text="typed by hand")
    summary = clean_lyrics()
    assert summary.songs_skipped == 1
    assert verses_of(song) == [("", "typed by hand")]

"""Entries that are not songs, or not this artist's, are skipped with a reason; songs are kept."""

from __future__ import annotations

import pytest

from scraping.genius_records import GeniusArtist, GeniusSong
from scraping.song_rules import DEFAULT_SKIP_RULES, SkipReason

ARTIST = GeniusArtist(genius_id=1, name="Nova Quill", url="")
OTHER = GeniusArtist(genius_id=2, name="Guest Verse", url="")


def listed(title: str, **changes: object) -> GeniusSong:
    fields: dict[str, object] = {
        "genius_id": 9,
        "title": title,
        "url": "http://127.0.0.1/x",
        "lyrics_state": "complete",
        "primary_artist": ARTIST,
    }
    fields.update(changes)
    return GeniusSong(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("Paper Lanterns (Skit)", SkipReason.SKIT),
        ("Skit: Answering Machine", SkipReason.SKIT),
        ("Interlude for the Night Bus", SkipReason.INTERLUDE),
        ("Intro", SkipReason.INTRO_OUTRO),
        ("The Outro", SkipReason.INTRO_OUTRO),
        ("Homecoming (Intro)", SkipReason.INTRO_OUTRO),
        ("Northern Lines Tracklist", SkipReason.TRACKLIST),
        ("Northern Lines [Track List + Album Art]", SkipReason.TRACKLIST),
        ("Northern Lines Credits", SkipReason.CREDITS),
        ("Radio Interview, Spring", SkipReason.INTERVIEW),
        ("Copper Wire (Remix)", SkipReason.REMIX),
        ("Copper Wire (Remixed by Someone)", SkipReason.REMIX),
        ("Copper Wire (Live at the Harbour)", SkipReason.LIVE),
        ("Copper Wire - Live", SkipReason.LIVE),
        ("Copper Wire [Live]", SkipReason.LIVE),
    ],
)
def test_it_skips_titles_that_are_not_songs_or_are_duplicates(
    title: str, reason: SkipReason
) -> None:
    assert DEFAULT_SKIP_RULES.reason_to_skip(listed(title), artist_genius_id=1) is reason


@pytest.mark.parametrize(
    "title",
    ["Introspection", "Live Forever", "Skittles Money", "Outrospective", "Credit Score", "Alive"],
)
def test_it_keeps_songs_whose_titles_only_look_alike(title: str) -> None:
    assert DEFAULT_SKIP_RULES.reason_to_skip(listed(title), artist_genius_id=1) is None


def test_it_skips_songs_where_the_artist_is_only_featured() -> None:
    song = listed("Borrowed Stairs", primary_artist=OTHER)

    reason = DEFAULT_SKIP_RULES.reason_to_skip(song, artist_genius_id=1)

    assert reason is SkipReason.NOT_PRIMARY_ARTIST


@pytest.mark.parametrize("state", ["unreleased", "incomplete", "unknown"])
def test_it_skips_songs_whose_lyrics_are_not_complete(state: str) -> None:
    reason = DEFAULT_SKIP_RULES.reason_to_skip(
        listed("Letters", lyrics_state=state), artist_genius_id=1
    )

    assert reason is SkipReason.LYRICS_NOT_COMPLETE


def test_it_skips_instrumentals() -> None:
    reason = DEFAULT_SKIP_RULES.reason_to_skip(
        listed("Static Hum", instrumental=True), artist_genius_id=1
    )

    assert reason is SkipReason.INSTRUMENTAL


def test_a_kept_reason_lets_those_songs_through_and_the_next_reason_still_applies() -> None:
    rules = DEFAULT_SKIP_RULES.without({SkipReason.REMIX})
    featured_remix = listed("Copper Wire (Remix)", primary_artist=OTHER)

    assert rules.reason_to_skip(listed("Copper Wire (Remix)"), artist_genius_id=1) is None
    assert rules.reason_to_skip(featured_remix, artist_genius_id=1) is SkipReason.NOT_PRIMARY_ARTIST

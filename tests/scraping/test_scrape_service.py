"""The scrape service stores whole songs, resumes after faults and never stores one twice."""

from __future__ import annotations

import datetime as dt

import pytest

from lyrics.models import Artist, Song
from scraping import services
from scraping.errors import GeniusAuthError
from scraping.genius_client import GeniusClient
from scraping.genius_records import GeniusArtist
from scraping.summary import SongOutcome, SongOutcomeKind
from tests.fakegenius.catalog import (
    NOVA_QUILL,
    NOVA_QUILL_SPECIAL,
    UNDER_AND_OVER,
    nova_quill_song_id,
)
from tests.fakegenius.server import FakeGenius, Fault
from tests.scraping.test_lyrics_extraction import GLASS_ELEVATOR_LYRICS

pytestmark = pytest.mark.django_db

NOVA = GeniusArtist(genius_id=NOVA_QUILL.genius_id, name=NOVA_QUILL.name, url="")
UNDER = GeniusArtist(genius_id=UNDER_AND_OVER.genius_id, name=UNDER_AND_OVER.name, url="")


def ordinary_ranks(count: int) -> list[int]:
    """Nova Quill's first `count` ranks that are real songs with lyrics."""
    ranks = [rank for rank in range(1, 200) if rank not in NOVA_QUILL_SPECIAL]
    return ranks[:count]


def page_path(fake: FakeGenius, rank: int) -> str:
    return fake.catalog.songs[nova_quill_song_id(rank)].page_path


def assert_stored_whole(fake: FakeGenius, rank: int) -> None:
    song = Song.objects.get(genius_id=nova_quill_song_id(rank))
    assert song.raw_lyrics == fake.catalog.songs[song.genius_id].expected_lyrics
    assert len(song.raw_sha256) == 64
    assert song.scraped_at is not None
    assert song.popularity_rank == rank


def test_it_stores_an_artists_songs_with_lyrics_rank_and_release_date(
    genius: GeniusClient,
) -> None:
    summary = services.scrape_artist_songs(client=genius, genius_artist=UNDER, songs_per_artist=5)

    artist = Artist.objects.get(genius_id=202)
    assert artist.name == "Ünder & Över"
    elevator, low_tide = artist.songs.order_by("popularity_rank")
    assert (elevator.title, elevator.popularity_rank) == ("Glass Elevator", 1)
    assert elevator.raw_lyrics == GLASS_ELEVATOR_LYRICS
    assert elevator.release_date == dt.date(2021, 11, 5)
    assert elevator.lyrics_state == Song.LyricsState.COMPLETE
    assert (low_tide.popularity_rank, low_tide.release_date) == (2, None)
    assert summary.kinds == {"new": 2}
    assert summary.listing_exhausted
    assert summary.line().startswith("Ünder & Över (Genius id 202): has 2 of 5 songs (2 new)")
    assert "no more songs listed" in summary.line()


def test_sixty_songs_span_pages_and_every_skip_is_counted_by_reason(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    summary = services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=60)

    stored_ranks = sorted(Song.objects.values_list("popularity_rank", flat=True))
    assert stored_ranks == ordinary_ranks(60)
    assert Song.objects.count() == 60
    for rank in (1, 50, stored_ranks[-1]):
        assert_stored_whole(fake_genius, rank)
    # 60 songs + 11 skipped + 1 without lyrics = 72 listed: two pages of 50.
    pages = [r.query["page"] for r in fake_genius.requests if r.path == "/api/artists/101/songs"]
    assert pages == ["1", "2"]
    assert dict(summary.skipped) == {
        "skit": 1,
        "not primary artist": 1,
        "interlude": 1,
        "intro outro": 1,
        "lyrics not complete": 1,
        "remix": 1,
        "live": 1,
        "instrumental": 1,
        "tracklist": 1,
        "credits": 1,
        "interview": 1,
    }
    assert dict(summary.failed) == {"no lyrics": 1}
    assert summary.complete and not summary.listing_exhausted
    line = summary.line()
    assert "has 60 of 60 songs (60 new)" in line
    assert "skipped 11 (" in line and "failed 1 (1 no lyrics)" in line
    # Skipped songs cost no request beyond the listing.
    assert fake_genius.hits("/api/songs/" + str(nova_quill_song_id(13))) == 0


def test_running_twice_stores_nothing_twice_and_fetches_no_stored_song_again(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=8)
    requests_after_first_run = len(fake_genius.requests)

    summary = services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=8)

    assert Song.objects.count() == 8
    assert Artist.objects.count() == 1
    # Ranks 1-14 hold the 8 songs and 6 skipped entries.
    assert summary.kinds == {"already-stored": 8, "skipped": 6}
    second_run = fake_genius.requests[requests_after_first_run:]
    assert {request.path for request in second_run} == {"/api/artists/101/songs"}


def test_refresh_fetches_again_and_tells_changed_lyrics_from_unchanged(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=2)
    fake_genius.catalog.songs[nova_quill_song_id(2)].sections = [["[Verse 1]", "A rewritten line"]]

    summary = services.scrape_artist_songs(
        client=genius, genius_artist=NOVA, songs_per_artist=2, refresh=True
    )

    assert summary.kinds == {"unchanged": 1, "updated": 1}
    assert Song.objects.get(genius_id=nova_quill_song_id(2)).raw_lyrics == (
        "[Verse 1]\nA rewritten line"
    )
    assert Song.objects.count() == 2


def test_a_song_that_fails_for_good_is_not_stored_and_a_rerun_finishes_without_duplicates(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    broken_rank = ordinary_ranks(6)[3]
    fake_genius.add_fault(page_path(fake_genius, broken_rank), Fault(status=500, times=None))

    first = services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=6)

    assert dict(first.failed) == {"unavailable": 1}
    assert first.retries == {"HTTP 500": 3}
    assert not Song.objects.filter(genius_id=nova_quill_song_id(broken_rank)).exists()
    for rank in ordinary_ranks(6)[:3]:
        assert_stored_whole(fake_genius, rank)
    # The place it left is taken by the next popular song.
    assert Song.objects.count() == 6

    fake_genius.clear_faults()
    second = services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=7)

    assert second.kinds["already-stored"] == 6
    assert second.kinds["new"] == 1
    assert_stored_whole(fake_genius, broken_rank)
    assert Song.objects.count() == 7
    assert Song.objects.values("genius_id").distinct().count() == 7


def test_an_interruption_between_songs_leaves_only_whole_songs_and_a_rerun_resumes(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    def interrupt_after_three(outcome: SongOutcome) -> None:
        if Song.objects.count() == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        services.scrape_artist_songs(
            client=genius,
            genius_artist=NOVA,
            songs_per_artist=6,
            on_outcome=interrupt_after_three,
        )
    assert Song.objects.count() == 3

    summary = services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=6)

    assert summary.kinds["already-stored"] == 3 and summary.kinds["new"] == 3
    for rank in ordinary_ranks(6):
        assert_stored_whole(fake_genius, rank)
    assert Song.objects.count() == 6


def test_genius_failing_song_after_song_stops_the_run_with_a_reason(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    for rank in ordinary_ranks(8)[2:]:
        fake_genius.add_fault(f"/api/songs/{nova_quill_song_id(rank)}", Fault(times=None))

    summary = services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=8)

    assert summary.stopped.startswith("Genius failed 3 songs in a row")
    assert dict(summary.failed) == {"unavailable": 3}
    assert Song.objects.count() == 2
    assert "STOPPED" in summary.line() and "run again to resume" in summary.line()


def test_a_listing_page_that_keeps_failing_stops_the_run_and_keeps_what_was_stored(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    fake_genius.add_fault(
        "/api/artists/101/songs", Fault(status=502, times=None, query={"page": "2"})
    )

    summary = services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=60)

    assert summary.stopped.startswith("the song listing failed")
    assert Song.objects.count() == 38  # every ordinary song of page 1
    assert summary.retries == {"HTTP 502": 3}


def test_an_auth_refusal_mid_run_stops_everything(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    fake_genius.add_fault(f"/api/songs/{nova_quill_song_id(2)}", Fault(status=401))

    with pytest.raises(GeniusAuthError):
        services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=5)

    assert list(Song.objects.values_list("popularity_rank", flat=True)) == [1]


def test_a_dry_run_lists_what_it_would_scrape_and_writes_nothing(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    seen: list[SongOutcome] = []

    summary = services.scrape_artist_songs(
        client=genius, genius_artist=NOVA, songs_per_artist=4, dry_run=True, on_outcome=seen.append
    )

    assert Artist.objects.count() == 0 and Song.objects.count() == 0
    planned = [o.rank for o in seen if o.kind is SongOutcomeKind.PLANNED]
    assert planned == ordinary_ranks(4)
    assert summary.line().startswith("Nova Quill (Genius id 101): would have 4 of 4 songs")
    assert {request.path for request in fake_genius.requests} == {"/api/artists/101/songs"}


def test_a_hand_entered_artist_of_the_same_name_is_linked_not_duplicated(
    genius: GeniusClient,
) -> None:
    by_hand = Artist.objects.create(name="nova quill")

    services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=1)

    by_hand.refresh_from_db()
    assert (by_hand.genius_id, by_hand.name) == (101, "Nova Quill")
    assert Artist.objects.count() == 1
    assert by_hand.songs.count() == 1


def test_scrape_one_song_is_a_step_tests_and_callers_can_use_alone(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    artist = services.save_artist(genius_artist=NOVA)
    songs, _ = genius.artist_songs_page(101, page=1)

    first = services.scrape_one_song(client=genius, artist=artist, listed=songs[0], rank=1)
    again = services.scrape_one_song(client=genius, artist=artist, listed=songs[0], rank=4)
    skit = services.scrape_one_song(client=genius, artist=artist, listed=songs[2], rank=3)
    blank = services.scrape_one_song(client=genius, artist=artist, listed=songs[24], rank=25)

    assert first.kind is SongOutcomeKind.NEW
    assert again.kind is SongOutcomeKind.ALREADY_STORED and again.song_pk == first.song_pk
    # Popularity moves between runs; the stored rank follows without a fetch.
    assert Song.objects.get(pk=first.song_pk).popularity_rank == 4
    assert (skit.kind, skit.reason) == (SongOutcomeKind.SKIPPED, "skit")
    assert (blank.kind, blank.reason) == (SongOutcomeKind.FAILED, "no lyrics")
    assert "no lyrics container" in blank.detail
    assert Song.objects.count() == 1


def test_a_title_longer_than_the_column_is_cut_and_a_url_that_does_not_fit_is_left_out(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    song = fake_genius.catalog.songs[nova_quill_song_id(1)]
    song.title = "Quill " + "very " * 80 + "long"

    services.scrape_artist_songs(client=genius, genius_artist=NOVA, songs_per_artist=1)

    stored = Song.objects.get()
    assert stored.title == song.title[:300]
    # The fake's URLs hold the title, so this one is far past the 200 characters of the column.
    assert stored.genius_url == ""
    assert stored.raw_lyrics == song.expected_lyrics

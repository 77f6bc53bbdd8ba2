"""The Celery task and the admin action are thin doors into the same scrape service."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from lyrics.models import Artist, Song
from scraping.admin_actions import scrape_popular_songs
from scraping.errors import AmbiguousArtistError, ScrapeError, ScrapeIncompleteError
from scraping.jobs import ScrapeRequest, StartedScrape
from scraping.tasks import scrape_artist
from tests.fakegenius.server import FakeGenius, Fault

pytestmark = pytest.mark.django_db


def test_the_task_scrapes_an_artist_row_by_its_genius_id(genius_settings: Settings) -> None:
    artist = Artist.objects.create(name="Ünder & Över", genius_id=202)

    result = scrape_artist.delay(artist.pk, songs_per_artist=5).get()

    assert result["filled"] == 2
    assert result["outcomes"] == {"new": 2}
    assert result["line"].startswith("Ünder & Över (Genius id 202): has 2 of 5 songs")
    assert artist.songs.count() == 2


def test_the_task_links_a_hand_entered_artist_by_its_name(genius_settings: Settings) -> None:
    artist = Artist.objects.create(name="under and over")

    scrape_artist.delay(artist.pk, songs_per_artist=1).get()

    artist.refresh_from_db()
    assert (artist.genius_id, artist.name) == (202, "Ünder & Över")
    assert artist.songs.count() == 1


def test_the_task_fails_at_once_on_an_ambiguous_name(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    artist = Artist.objects.create(name="Mirror Twin")

    with pytest.raises(AmbiguousArtistError):
        scrape_artist.delay(artist.pk)

    assert fake_genius.hits("/api/search") == 1


def test_run_in_place_a_task_genius_cut_short_fails_with_the_summary_instead_of_looping(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    artist = Artist.objects.create(name="Nova Quill", genius_id=101)
    fake_genius.add_fault("/api/artists/101/songs", Fault(status=502, times=None))

    with pytest.raises(ScrapeIncompleteError, match="STOPPED: the song listing failed"):
        scrape_artist.delay(artist.pk, songs_per_artist=3)

    # One run of three attempts (GENIUS_MAX_RETRIES=2), no eager task retries on top.
    assert fake_genius.hits("/api/artists/101/songs") == 3
    assert Song.objects.count() == 0


def test_the_admin_action_shows_a_run_genius_cut_short_as_an_error(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    Artist.objects.create(name="Nova Quill", genius_id=101)
    fake_genius.add_fault("/api/artists/101/songs", Fault(status=502, times=None))
    request = _admin_request()

    scrape_popular_songs(admin.site._registry[Artist], request, Artist.objects.all())

    (message,) = get_messages(request)
    assert message.level_tag == "error"
    assert "run again to resume" in message.message


def _admin_request() -> object:
    request = RequestFactory().post("/admin/lyrics/artist/")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


def test_the_admin_action_scrapes_each_selected_artist_and_reports_the_summary(
    genius_settings: Settings,
) -> None:
    Artist.objects.create(name="Ünder & Över", genius_id=202)
    Artist.objects.create(name="Mirror Twin")
    request = _admin_request()

    scrape_popular_songs(admin.site._registry[Artist], request, Artist.objects.all())

    shown = [(message.level_tag, message.message) for message in get_messages(request)]
    assert shown[0][0] == "error"
    assert shown[0][1].startswith("Mirror Twin: 'Mirror Twin' matches 2 Genius artists")
    assert "Enter the one you mean as the artist's Genius id" in shown[0][1]
    assert shown[1][0] == "success"
    assert shown[1][1].startswith("Ünder & Över (Genius id 202): has 2 of 60 songs (2 new)")
    assert Song.objects.count() == 2


def test_the_admin_action_has_its_label() -> None:
    assert scrape_popular_songs.short_description == "Scrape popular songs"  # type: ignore[attr-defined]
    assert scrape_popular_songs.allowed_permissions == ["change"]  # type: ignore[attr-defined]


def test_the_task_fails_at_once_for_an_artist_gone_from_genius(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    artist = Artist.objects.create(name="Nova Quill", genius_id=101)
    fake_genius.add_fault("/api/artists/101/songs", Fault(status=404, times=None))

    with pytest.raises(ScrapeError, match="the artist is not on Genius") as caught:
        scrape_artist.delay(artist.pk)

    assert "run again" not in str(caught.value)
    assert fake_genius.hits("/api/artists/101/songs") == 1


def test_without_a_broker_the_action_links_a_hand_entered_artist_and_scrapes_elsewhere(
    genius_settings: Settings, fake_genius: FakeGenius, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No broker (make run's defaults): the request only looks the name up (one search) and
    # hands the scrape to a process of its own; here the hand-over is recorded, not started.
    genius_settings.CELERY_TASK_ALWAYS_EAGER = True
    genius_settings.TRAINING_LOCAL_PROCESS = True
    handed_over: list[ScrapeRequest] = []

    def record(scrape: ScrapeRequest) -> StartedScrape:
        handed_over.append(scrape)
        return StartedScrape(where="in a process of its own (recorded)")

    monkeypatch.setattr("scraping.admin_actions.start_scrape", record)
    Artist.objects.create(name="under and over")
    Artist.objects.create(name="Mirror Twin")
    request = _admin_request()

    scrape_popular_songs(admin.site._registry[Artist], request, Artist.objects.all())

    shown = [(message.level_tag, message.message) for message in get_messages(request)]
    assert shown[0][0] == "error" and "Enter the one you mean" in shown[0][1]
    assert shown[1] == (
        "info",
        "under and over: scraping started in a process of its own (recorded); progress on its "
        "page.",
    )
    assert [scrape.genius_id for scrape in handed_over] == [202]
    assert Artist.objects.get(name="under and over").genius_id == 202
    assert Song.objects.count() == 0  # nothing scraped inside the request
    assert fake_genius.hits("/api/search") == 2

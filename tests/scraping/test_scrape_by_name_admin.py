"""Scrape by name in the admin, against the fake Genius: candidates, the pick, progress."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from lyrics.models import Artist, Song
from scraping.jobs import ScrapeRequest
from scraping.progress import ScrapeProgress, read_progress, record_progress
from tests.factories import UserFactory
from tests.fakegenius.server import FakeGenius, Fault

pytestmark = pytest.mark.django_db
PAGE = reverse("admin:lyrics_artist_scrape_by_name")


def test_the_artist_list_offers_scrape_by_name(staff_client: Client) -> None:
    page = staff_client.get(reverse("admin:lyrics_artist_changelist")).content.decode()
    assert f'href="{PAGE}"' in page


def test_adding_an_artist_by_hand_points_to_scrape_by_name(staff_client: Client) -> None:
    page = staff_client.get(reverse("admin:lyrics_artist_add")).content.decode()

    assert f'href="{PAGE}"' in page
    assert "Empty: scraping looks the name up on Genius" in page
    assert "Empty for artists entered by hand" not in page


def test_an_ambiguous_name_lists_the_candidates_to_pick_from(
    staff_client: Client, genius_settings: Settings
) -> None:
    page = staff_client.post(
        PAGE, {"name": "Mirror Twin", "songs_per_artist": 3, "mode": "new"}
    ).content.decode()

    assert "Mirror Twin (id 303)" in page and "MIRROR-TWIN (id 304)" in page
    assert 'name="genius_id"' in page and 'value="Start"' in page
    assert not Artist.objects.exists()


def test_picking_a_candidate_scrapes_it_in_the_background_with_progress_on_its_page(
    staff_client: Client, genius_settings: Settings
) -> None:
    response = staff_client.post(
        PAGE, {"name": "Mirror Twin", "songs_per_artist": 1, "mode": "new", "genius_id": 304}
    )

    artist = Artist.objects.get()
    assert artist.genius_id == 304
    assert response["Location"] == reverse("admin:lyrics_artist_change", args=[artist.pk])
    assert Song.objects.filter(artist=artist).count() == 1
    progress = read_progress(304)
    assert progress is not None and (progress.state, progress.filled) == ("done", 1)
    page = staff_client.get(response["Location"]).content.decode()
    assert "has 1 of 1 songs" in page
    assert 'http-equiv="refresh"' not in page


def test_a_running_scrape_shows_how_far_it_got_and_the_page_reloads(
    staff_client: Client,
) -> None:
    # A scrape in another process records its progress as it goes (as the service does).
    artist = Artist.objects.create(name="Nova Quill", genius_id=101)
    record_progress(ScrapeProgress(genius_id=101, artist_name="Nova Quill", wanted=60, filled=12))

    page = staff_client.get(reverse("admin:lyrics_artist_change", args=[artist.pk]))

    html = page.content.decode()
    assert "Running: 12 of 60 songs" in html
    assert 'http-equiv="refresh"' in html


def test_a_scrape_genius_cuts_short_says_so_on_the_form(
    staff_client: Client, genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    fake_genius.add_fault("/api/artists/101/songs", Fault(status=503, times=None))
    page = staff_client.post(
        PAGE, {"name": "Nova Quill", "songs_per_artist": 2, "mode": "new", "genius_id": 101}
    )
    assert "STOPPED: the song listing failed" in page.content.decode()
    progress = read_progress(101)
    assert progress is not None and progress.state == "stopped"


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(
    staff_client: Client, genius_settings: Settings
) -> None:
    response = staff_client.post(
        PAGE,
        {"name": "Nova Quill", "songs_per_artist": 3, "mode": "dry_run", "genius_id": 101},
        follow=True,
    )
    assert "would have 3 of 3 songs" in response.content.decode()
    assert not Artist.objects.exists() and not Song.objects.exists()


def test_a_pick_that_is_not_a_candidate_is_refused(
    staff_client: Client, genius_settings: Settings
) -> None:
    page = staff_client.post(
        PAGE, {"name": "Mirror Twin", "songs_per_artist": 2, "mode": "new", "genius_id": 101}
    )
    assert "Select a valid choice" in page.content.decode()
    assert not Artist.objects.exists()


def test_without_a_token_it_says_how_to_get_one(staff_client: Client, settings: Settings) -> None:
    settings.GENIUS_ACCESS_TOKEN = ""
    page = staff_client.post(PAGE, {"name": "Nova Quill", "songs_per_artist": 2, "mode": "new"})
    assert "GENIUS_ACCESS_TOKEN is not set" in page.content.decode()


def test_scraping_by_name_needs_the_add_artist_permission(genius_settings: Settings) -> None:
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_artist"))
    client = Client()
    client.force_login(viewer)
    assert client.post(PAGE, {"name": "Nova Quill", "songs_per_artist": 2}).status_code == 403


def test_without_a_broker_the_scrape_command_line_has_the_choices() -> None:
    assert ScrapeRequest(genius_id=7, songs_per_artist=5, dry_run=True).command_arguments() == [
        "scrape",
        "--genius-id",
        "7",
        "--songs-per-artist",
        "5",
        "--dry-run",
    ]

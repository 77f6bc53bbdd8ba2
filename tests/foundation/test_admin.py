from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lyrics.models import Verse
from tests.factories import ArtistFactory, SongFactory, VerseFactory

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "admin:lyrics_artist_changelist",
    "admin:lyrics_song_changelist",
    "admin:lyrics_verse_changelist",
]


def _fill_catalogue(artists: int, songs_per_artist: int, verses_per_song: int) -> None:
    for _ in range(artists):
        artist = ArtistFactory()
        for _ in range(songs_per_artist):
            song = SongFactory(artist=artist)
            for position in range(verses_per_song):
                VerseFactory(song=song, position=position)


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", LIST_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, page: str) -> None:
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("page", LIST_PAGES)
def test_list_pages_do_not_grow_queries_with_rows(staff_client: Client, page: str) -> None:
    _fill_catalogue(artists=1, songs_per_artist=1, verses_per_song=1)
    few = _queries_for(staff_client, reverse(page))
    _fill_catalogue(artists=3, songs_per_artist=3, verses_per_song=3)
    many = _queries_for(staff_client, reverse(page))
    assert many == few


def test_the_artist_list_shows_song_and_verse_counts(staff_client: Client) -> None:
    artist = ArtistFactory(name="Counted Artist")
    for _ in range(2):
        song = SongFactory(artist=artist)
        VerseFactory(song=song, position=0)
        VerseFactory(song=song, position=1)

    response = staff_client.get(reverse("admin:lyrics_artist_changelist"))

    row = next(line for line in response.content.decode().splitlines() if "Counted Artist" in line)
    assert '<td class="field-song_count">2</td>' in row
    assert '<td class="field-verse_count">4</td>' in row


def test_the_song_page_shows_raw_lyrics_read_only_beside_its_verses(staff_client: Client) -> None:
    song = SongFactory(raw_lyrics="[Intro]\nraw words here")
    VerseFactory(song=song, position=0, text="the cleaned verse")

    response = staff_client.get(reverse("admin:lyrics_song_change", args=[song.pk]))

    body = response.content.decode()
    assert "raw words here" in body
    assert 'name="raw_lyrics"' not in body  # shown, not editable
    assert "the cleaned verse" in body


def test_song_search_finds_titles_and_artists(staff_client: Client) -> None:
    SongFactory(title="Moonlit Avenue", artist=ArtistFactory(name="Searchable Sam"))
    SongFactory(title="Other Road")
    url = reverse("admin:lyrics_song_changelist")

    assert "Moonlit Avenue" in staff_client.get(url, {"q": "moonlit"}).content.decode()
    by_artist = staff_client.get(url, {"q": "searchable"}).content.decode()
    assert "Moonlit Avenue" in by_artist
    assert "Other Road" not in by_artist


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [("exclude_from_corpus", True, False), ("include_in_corpus", False, True)],
)
def test_bulk_actions_include_and_exclude_verses(
    staff_client: Client, action: str, start: bool, end: bool
) -> None:
    chosen = [VerseFactory(included=start), VerseFactory(included=start)]
    untouched = VerseFactory(included=start)

    response = staff_client.post(
        reverse("admin:lyrics_verse_changelist"),
        {"action": action, "_selected_action": [verse.pk for verse in chosen]},
        follow=True,
    )

    assert response.status_code == 200
    assert "2 verse(s)" in response.content.decode()
    assert set(
        Verse.objects.filter(pk__in=[v.pk for v in chosen]).values_list("included", flat=True)
    ) == {end}
    untouched.refresh_from_db()
    assert untouched.included is start


def test_editing_a_verse_text_in_the_admin_marks_it_edited(staff_client: Client) -> None:
    verse = VerseFactory(text="machine text", cleaned_text="machine text")
    url = reverse("admin:lyrics_verse_change", args=[verse.pk])
    response = staff_client.post(
        url,
        {
            "song": verse.song.pk,
            "position": verse.position,
            "section_label": verse.section_label,
            "text": "a better line by hand",
            "included": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    verse.refresh_from_db()
    assert verse.text == "a better line by hand"
    assert verse.is_edited is True


def test_recleaning_selected_songs_rebuilds_only_their_verses(staff_client: Client) -> None:
    chosen = SongFactory(raw_lyrics="[Verse 1]\nfirst line of the chosen song\nsecond line here")
    other = SongFactory(raw_lyrics="[Verse 1]\nthe other song stays as it was")

    response = staff_client.post(
        reverse("admin:lyrics_song_changelist"),
        {"action": "reclean_songs", "_selected_action": [chosen.pk]},
        follow=True,
    )

    assert "Cleaning queued for 1 song(s)." in response.content.decode()
    assert list(chosen.verses.values_list("text", flat=True)) == [
        "first line of the chosen song\nsecond line here"
    ]
    assert not other.verses.exists()

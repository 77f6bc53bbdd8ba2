"""Curating verses in the admin: the text in the list, filters, line endings, reverting edits."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lyrics import services
from lyrics.cleaning.verses import clean_lyrics
from lyrics.models import Verse
from tests.factories import ArtistFactory, SongFactory, UserFactory, VerseFactory

pytestmark = pytest.mark.django_db
LIST = reverse("admin:lyrics_verse_changelist")


def test_two_verses_of_one_song_read_apart_in_the_list(staff_client: Client) -> None:
    song = SongFactory(title="Late Train Home")
    VerseFactory(song=song, position=0, section_label="Verse 1", text="Last car\nempty seats")
    VerseFactory(song=song, position=1, section_label="Verse 1", text="Conductor sleeps\nme too")

    page = staff_client.get(LIST).content.decode()

    assert "Last car / empty seats" in page
    assert "Conductor sleeps / me too" in page
    assert '<td class="field-song_title">Late Train Home</td>' in page


def test_the_song_filter_offers_the_chosen_artists_songs(staff_client: Client) -> None:
    artist, other = ArtistFactory(name="MC Filter"), ArtistFactory(name="MC Other")
    kept = VerseFactory(song=SongFactory(artist=artist, title="Wanted Song"), text="keep me")
    VerseFactory(song=SongFactory(artist=artist, title="Second Song"), text="not this one")
    VerseFactory(song=SongFactory(artist=other, title="Elsewhere"), text="nor this one")

    no_artist = staff_client.get(LIST).content.decode()
    assert "(choose an artist first)" in no_artist
    chosen = staff_client.get(LIST, {"song__artist__id__exact": artist.pk}).content.decode()
    assert "Wanted Song" in chosen and "Second Song" in chosen
    assert 'title="Elsewhere"' not in chosen
    filtered = staff_client.get(LIST, {"song__artist__id__exact": artist.pk, "song": kept.song_id})
    assert list(filtered.context["cl"].queryset) == [kept]


def test_search_finds_verses_by_artist_name(staff_client: Client) -> None:
    wanted = VerseFactory(song=SongFactory(artist=ArtistFactory(name="Searchable Sam")))
    VerseFactory()
    response = staff_client.get(LIST, {"q": "searchable"})
    assert list(response.context["cl"].queryset) == [wanted]


def test_the_list_with_filters_keeps_a_constant_query_count(staff_client: Client) -> None:
    def queries_for_list(artist_id: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            staff_client.get(LIST, {"song__artist__id__exact": artist_id, "included__exact": 1})
        return len(queries)

    artist = ArtistFactory()
    VerseFactory(song=SongFactory(artist=artist))
    few = queries_for_list(artist.pk)
    for _ in range(6):
        song = SongFactory(artist=artist)
        VerseFactory.create_batch(3, song=song)
    assert queries_for_list(artist.pk) == few


def test_a_verse_edited_in_the_admin_is_stored_with_plain_newlines(staff_client: Client) -> None:
    song = SongFactory(raw_lyrics="[Verse 1]\nfirst line\nsecond line")
    clean_lyrics()
    verse = song.verses.get()
    url = reverse("admin:lyrics_verse_change", args=[verse.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"song": song.pk, "text": "first line\r\nsecond line, edited"})

    response = staff_client.post(url, data)

    assert response.status_code == 302
    verse.refresh_from_db()
    assert verse.text == "first line\nsecond line, edited"
    assert verse.char_count == len(verse.text)
    assert verse.is_edited


def test_line_endings_alone_are_not_an_edit() -> None:
    song = SongFactory(raw_lyrics="[Verse 1]\nfirst line\nsecond line")
    clean_lyrics()
    verse = services.edit_verse_text(verse=song.verses.get(), text="first line\r\nsecond line")
    assert (verse.text, verse.is_edited) == ("first line\nsecond line", False)


def edited_verse() -> Verse:
    song = SongFactory(raw_lyrics="[Verse 1]\nfirst line\nsecond line")
    clean_lyrics()
    return services.edit_verse_text(verse=song.verses.get(), text="first line\nmy own line")


def test_reverting_gives_the_verse_fresh_cleanings_text_again(staff_client: Client) -> None:
    verse = edited_verse()

    response = staff_client.post(reverse("admin:lyrics_verse_revert", args=[verse.pk]))

    assert response.status_code == 302
    verse.refresh_from_db()
    assert (verse.text, verse.cleaned_text, verse.is_edited) == (
        "first line\nsecond line",
        "first line\nsecond line",
        False,
    )
    page = staff_client.get(reverse("admin:lyrics_verse_change", args=[verse.pk]))
    assert "Revert to fresh cleaning" not in page.content.decode()


def test_reverting_needs_the_change_permission() -> None:
    verse = edited_verse()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_verse"))
    client = Client()
    client.force_login(viewer)

    response = client.post(reverse("admin:lyrics_verse_revert", args=[verse.pk]))

    assert response.status_code == 403
    verse.refresh_from_db()
    assert verse.text == "first line\nmy own line"
    action_form = client.get(LIST).context["action_form"]  # None: no action is offered at all
    offered = [] if action_form is None else action_form.fields["action"].choices
    assert "revert_to_fresh_cleaning" not in [name for name, _ in offered]


def test_the_revert_action_reverts_edited_verses_and_names_those_it_cannot(
    staff_client: Client,
) -> None:
    verse = edited_verse()
    gone = edited_verse()
    gone.song.set_raw_lyrics("[Verse 1]")
    gone.song.save()

    response = staff_client.post(
        LIST,
        {"action": "revert_to_fresh_cleaning", "_selected_action": [verse.pk, gone.pk]},
        follow=True,
    )

    verse.refresh_from_db()
    gone.refresh_from_db()
    assert not verse.is_edited and gone.is_edited
    page = response.content.decode()
    assert "1 verse(s) reverted" in page
    assert f"no longer gives verse(s) {gone.pk}" in page

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from lyrics.models import Artist, Song, Verse
from lyrics.models.catalog import sha256_text
from lyrics.services import edit_verse_text, set_verses_included
from tests.factories import ArtistFactory, SongFactory, VerseFactory

pytestmark = pytest.mark.django_db


def test_it_slugs_artist_names_and_keeps_slugs_unique() -> None:
    first = Artist.objects.create(name="Lil' Example & The Crew")
    second = Artist.objects.create(name="Lil Example and the Crew!")
    third = Artist.objects.create(name="Lil' Example & The Crew")

    assert first.slug == "lil-example-the-crew"
    assert second.slug == "lil-example-and-the-crew"
    assert third.slug == "lil-example-the-crew-2"


def test_a_rename_keeps_the_slug() -> None:
    artist = Artist.objects.create(name="Old Name")
    artist.name = "New Name"
    artist.save()
    artist.refresh_from_db()
    assert artist.slug == "old-name"


def test_it_refuses_two_artists_with_the_same_genius_id() -> None:
    ArtistFactory(genius_id=42)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArtistFactory(genius_id=42)


def test_hand_entered_artists_need_no_genius_id() -> None:
    Artist.objects.create(name="Open Mic One")
    Artist.objects.create(name="Open Mic Two")
    assert Artist.objects.filter(genius_id__isnull=True).count() == 2


def test_it_refuses_two_songs_with_the_same_genius_id() -> None:
    SongFactory(genius_id=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        SongFactory(genius_id=7)


def test_it_refuses_a_popularity_rank_of_zero() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SongFactory(popularity_rank=0)


def test_it_refuses_two_verses_at_the_same_position_of_a_song() -> None:
    verse = VerseFactory(position=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        VerseFactory(song=verse.song, position=0)


def test_setting_raw_lyrics_records_their_checksum_and_says_if_they_changed() -> None:
    song = SongFactory.build(raw_lyrics="", raw_sha256="")
    assert song.set_raw_lyrics("[Hook]\nla la") is True
    assert song.raw_sha256 == sha256_text("[Hook]\nla la")
    assert song.set_raw_lyrics("[Hook]\nla la") is False


def test_a_verse_counts_its_characters_on_save() -> None:
    verse = VerseFactory(text="four")
    verse.text = "eight ch"
    verse.save()
    verse.refresh_from_db()
    assert verse.char_count == 8


def test_the_corpus_holds_only_included_verses_of_included_songs() -> None:
    kept = VerseFactory()
    VerseFactory(included=False)
    VerseFactory(song=SongFactory(included=False))
    VerseFactory(text="")
    assert list(Verse.objects.in_corpus()) == [kept]


def test_a_hand_edit_is_recorded_and_reverting_it_clears_the_mark() -> None:
    verse = VerseFactory(text="cleaned line", cleaned_text="cleaned line")

    edit_verse_text(verse=verse, text="better line")
    verse.refresh_from_db()
    assert (verse.text, verse.is_edited) == ("better line", True)

    edit_verse_text(verse=verse, text="cleaned line")
    verse.refresh_from_db()
    assert verse.is_edited is False


def test_including_and_excluding_verses_counts_only_real_changes() -> None:
    verses = [VerseFactory(included=True), VerseFactory(included=False)]
    ids = [verse.pk for verse in verses]

    assert set_verses_included(verse_ids=ids, included=False) == 1
    assert set(Verse.objects.filter(pk__in=ids).values_list("included", flat=True)) == {False}
    assert set_verses_included(verse_ids=ids, included=True) == 2


def test_deleting_an_artist_removes_their_songs_and_verses() -> None:
    verse = VerseFactory()
    verse.song.artist.delete()
    assert not Song.objects.exists()
    assert not Verse.objects.exists()

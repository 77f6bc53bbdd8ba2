"""factory_boy factories for the catalogue (invented names and text, never copied lyrics)."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from lyrics.models import Artist, Song, Verse


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    password = factory.django.Password("correct horse battery staple")


class ArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artist

    name = factory.Sequence(lambda n: f"MC Example {n}")
    genius_id = factory.Sequence(lambda n: 10_000 + n)


class SongFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Song

    artist = factory.SubFactory(ArtistFactory)
    title = factory.Sequence(lambda n: f"Track Number {n}")
    genius_id = factory.Sequence(lambda n: 500_000 + n)
    popularity_rank = factory.Sequence(lambda n: n + 1)
    lyrics_state = Song.LyricsState.COMPLETE
    raw_lyrics = (
        "[Verse 1]\nRolling through the city with the windows down\nEvery corner knows the sound"
    )


class VerseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Verse

    song = factory.SubFactory(SongFactory)
    position = factory.Sequence(lambda n: n)
    section_label = "Verse 1"
    text = "Rolling through the city with the windows down\nEvery corner knows the sound"
    cleaned_text = factory.LazyAttribute(lambda verse: verse.text)

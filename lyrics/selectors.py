"""Reads over the lyrics catalogue."""

from __future__ import annotations

from typing import TypedDict

from django.db.models import Count, Q, Sum

from lyrics.models import Artist, Song, Verse


class CorpusStats(TypedDict):
    artists: int
    songs: int
    songs_included: int
    verses: int
    verses_included: int
    characters_included: int


def corpus_stats() -> CorpusStats:
    """Counts of what is in the catalogue and what training would see (three queries)."""
    songs = Song.objects.aggregate(total=Count("id"), included=Count("id", filter=Q(included=True)))
    verses = Verse.objects.aggregate(total=Count("id"))
    in_corpus = Verse.objects.in_corpus().aggregate(count=Count("id"), chars=Sum("char_count"))
    return {
        "artists": Artist.objects.count(),
        "songs": songs["total"],
        "songs_included": songs["included"],
        "verses": verses["total"],
        "verses_included": in_corpus["count"],
        "characters_included": in_corpus["chars"] or 0,
    }

"""The typed records the client reads out of Genius API JSON, and nothing more than it relies on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from scraping.errors import GeniusResponseError


@dataclass(frozen=True, kw_only=True)
class GeniusArtist:
    genius_id: int
    name: str
    url: str


@dataclass(frozen=True, kw_only=True)
class GeniusSong:
    """A song as the listing and search endpoints describe it."""

    genius_id: int
    title: str
    url: str
    lyrics_state: str
    primary_artist: GeniusArtist
    instrumental: bool = False


@dataclass(frozen=True, kw_only=True)
class GeniusSongDetails:
    """What only `GET /songs/{id}` tells: the release date and album, beside the listing fields."""

    song: GeniusSong
    release_date: dt.date | None
    album_name: str


def parse_artist(payload: Any) -> GeniusArtist:
    if not isinstance(payload, dict):
        raise GeniusResponseError(f"expected an artist object, got {type(payload).__name__}")
    return GeniusArtist(
        genius_id=_required_int(payload, "id", "artist"),
        name=_required_str(payload, "name", "artist"),
        url=str(payload.get("url") or ""),
    )


def parse_song(payload: Any) -> GeniusSong:
    if not isinstance(payload, dict):
        raise GeniusResponseError(f"expected a song object, got {type(payload).__name__}")
    return GeniusSong(
        genius_id=_required_int(payload, "id", "song"),
        title=_required_str(payload, "title", "song"),
        url=_required_str(payload, "url", "song"),
        # Genius omits the state on some old entries; "unknown" keeps them out of the corpus.
        lyrics_state=str(payload.get("lyrics_state") or "unknown"),
        primary_artist=parse_artist(payload.get("primary_artist")),
        instrumental=bool(payload.get("instrumental", False)),
    )


def parse_song_details(payload: Any) -> GeniusSongDetails:
    song = parse_song(payload)
    album = payload.get("album")
    album_name = str(album.get("name") or "") if isinstance(album, dict) else ""
    return GeniusSongDetails(
        song=song,
        release_date=parse_release_date(payload.get("release_date")),
        album_name=album_name,
    )


def parse_release_date(value: Any) -> dt.date | None:
    """`"2014-03-07"` → a date; null or a partial date (Genius knows only the year) → None."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _required_int(payload: dict[str, Any], key: str, what: str) -> int:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise GeniusResponseError(f"{what} object has no integer {key!r}: {value!r}")
    return value


def _required_str(payload: dict[str, Any], key: str, what: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GeniusResponseError(f"{what} object has no {key!r}: {value!r}")
    return value.strip()

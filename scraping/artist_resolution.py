"""From a name a person typed to one Genius artist, or a message listing what was found instead."""

from __future__ import annotations

import re
import unicodedata

from scraping.errors import AmbiguousArtistError, ArtistNotFoundError
from scraping.genius_client import GeniusClient
from scraping.genius_records import GeniusArtist

_AMPERSAND = re.compile(r"&")
# Only letters and digits count: "Jay-Z" = "Jay Z", "Mirror-Twin" = "mirror twin".
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
_MAX_LISTED = 8


def normalise_artist_name(name: str) -> str:
    """Case, accents, spacing, punctuation and "&"/"and" do not tell artists apart."""
    decomposed = unicodedata.normalize("NFKD", name)
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = _AMPERSAND.sub(" and ", without_accents.casefold())
    return _NOT_ALPHANUMERIC.sub("", text)


def artist_candidates(*, client: GeniusClient, name: str) -> list[GeniusArtist]:
    """The primary artists of a search for `name`: those whose name matches first, then the
    others in the search's order (to pick from when the name is ambiguous or spelled off)."""
    wanted = normalise_artist_name(name)
    if not wanted:
        raise ArtistNotFoundError(f"{name!r} is not an artist name")
    found: dict[int, GeniusArtist] = {}
    for song in client.search(name):
        found.setdefault(song.primary_artist.genius_id, song.primary_artist)
    return sorted(found.values(), key=lambda artist: normalise_artist_name(artist.name) != wanted)


def resolve_artist(*, client: GeniusClient, name: str) -> GeniusArtist:
    """The one artist whose name matches among the primary artists of a search for `name`."""
    wanted = normalise_artist_name(name)
    if not wanted:
        raise ArtistNotFoundError(f"{name!r} is not an artist name")
    found: dict[int, GeniusArtist] = {}
    for song in client.search(name):
        found.setdefault(song.primary_artist.genius_id, song.primary_artist)
    matches = [artist for artist in found.values() if normalise_artist_name(artist.name) == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousArtistError(
            f"{name!r} matches {len(matches)} Genius artists: {_listing(matches)}",
            candidate_ids=tuple(artist.genius_id for artist in matches),
        )
    if not found:
        raise ArtistNotFoundError(f"no Genius artist named {name!r}: the search found nothing")
    raise ArtistNotFoundError(
        f"no Genius artist named {name!r}; the search found {_listing(list(found.values()))}"
    )


def _listing(artists: list[GeniusArtist]) -> str:
    shown = ", ".join(f"{artist.name} (id {artist.genius_id})" for artist in artists[:_MAX_LISTED])
    hidden = len(artists) - _MAX_LISTED
    return f"{shown} and {hidden} more" if hidden > 0 else shown

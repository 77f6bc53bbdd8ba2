"""A typed name resolves to exactly one Genius artist, or the error lists what was found."""

from __future__ import annotations

import pytest

from scraping.artist_resolution import normalise_artist_name, resolve_artist
from scraping.errors import AmbiguousArtistError, ArtistNotFoundError
from scraping.genius_client import GeniusClient


@pytest.mark.parametrize(
    ("typed", "on_genius"),
    [
        ("under and over", "Ünder & Över"),
        ("BEYONCE", "Beyoncé"),
        ("jay z", "Jay-Z"),
        ("Tyler the Creator", "Tyler, The Creator"),
    ],
)
def test_names_match_whatever_the_case_accents_punctuation_or_ampersand(
    typed: str, on_genius: str
) -> None:
    assert normalise_artist_name(typed) == normalise_artist_name(on_genius)


def test_different_names_stay_different() -> None:
    assert normalise_artist_name("Nova Quill") != normalise_artist_name("Nova Quill Band")


def test_it_picks_the_primary_artist_whose_name_matches_among_the_search_hits(
    genius: GeniusClient,
) -> None:
    # The search for "nova quill" also finds songs by "Nova Brass Band".
    artist = resolve_artist(client=genius, name="NOVA quill")

    assert (artist.genius_id, artist.name) == (101, "Nova Quill")


def test_it_resolves_a_name_typed_without_accents_or_ampersand(genius: GeniusClient) -> None:
    assert resolve_artist(client=genius, name="Under and Over").genius_id == 202


def test_an_unknown_artist_fails_listing_the_candidates_found(genius: GeniusClient) -> None:
    with pytest.raises(ArtistNotFoundError) as caught:
        resolve_artist(client=genius, name="Nova Nobody")

    message = str(caught.value)
    assert "\n" not in message
    assert "no Genius artist named 'Nova Nobody'" in message
    assert "Nova Quill (id 101)" in message
    assert "Nova Brass Band (id 506)" in message


def test_a_name_the_search_knows_nothing_about_says_so(genius: GeniusClient) -> None:
    with pytest.raises(ArtistNotFoundError, match="the search found nothing"):
        resolve_artist(client=genius, name="Zzyzx Qwerty")


def test_an_ambiguous_name_fails_listing_every_match_instead_of_guessing(
    genius: GeniusClient,
) -> None:
    with pytest.raises(AmbiguousArtistError) as caught:
        resolve_artist(client=genius, name="mirror twin")

    message = str(caught.value)
    assert "Mirror Twin (id 303)" in message
    assert "MIRROR-TWIN (id 304)" in message
    assert caught.value.candidate_ids == (303, 304)

"""Scraping an artist's most popular songs into the catalogue: the one door every caller uses.

The loop is made of `scrape_one_song` steps. Each step does its network work first and then
writes the song in one transaction, so an interrupted run leaves only whole songs behind, and a
re-run skips what is stored (unless `refresh`) and carries on where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace

from django.db import IntegrityError, transaction
from django.db.models import Field, Model
from django.utils import timezone

from lyrics.models import Artist, Song
from scraping.artist_resolution import resolve_artist
from scraping.errors import (
    ArtistNotFoundError,
    GeniusNotFoundError,
    GeniusResponseError,
    GeniusUnavailableError,
    NoLyricsError,
    ScrapeError,
)
from scraping.genius_client import GeniusClient
from scraping.genius_records import GeniusArtist, GeniusSong
from scraping.lyrics_html import extract_lyrics
from scraping.progress import ScrapeProgress, record_progress
from scraping.song_rules import DEFAULT_SKIP_RULES, SkipRules
from scraping.summary import ArtistScrapeSummary, SongOutcome, SongOutcomeKind

logger = logging.getLogger(__name__)

DEFAULT_SONGS_PER_ARTIST = 60
# This many songs in a row lost to timeouts/5xx means Genius is down, not one page broken.
MAX_CONSECUTIVE_UNAVAILABLE = 3

# Per-song failures: the song is reported and the run goes on. Auth errors are not here: they
# stop everything.
_SONG_FAILURES: tuple[tuple[type[ScrapeError], str], ...] = (
    (NoLyricsError, "no lyrics"),
    (GeniusNotFoundError, "not found"),
    (GeniusUnavailableError, "unavailable"),
    (GeniusResponseError, "bad response"),
)

# Outcomes of a step in which Genius answered (even with a page without lyrics).
_GENIUS_ANSWERED = frozenset(
    {
        SongOutcomeKind.NEW,
        SongOutcomeKind.UPDATED,
        SongOutcomeKind.UNCHANGED,
        SongOutcomeKind.FAILED,
    }
)

OutcomeCallback = Callable[[SongOutcome], None]


def find_artist(
    *, client: GeniusClient, name: str | None = None, genius_id: int | None = None
) -> GeniusArtist:
    """The Genius artist by id, or by name (which fails on no match or several matches)."""
    if genius_id is not None:
        try:
            return client.artist(genius_id)
        except GeniusNotFoundError:
            raise ArtistNotFoundError(
                f"Genius has no artist with id {genius_id} (it answers 404): check the id"
            ) from None
    if name is None:
        raise ValueError("find_artist needs a name or a genius_id")
    return resolve_artist(client=client, name=name)


def iter_artist_songs(
    *, client: GeniusClient, artist_genius_id: int
) -> Iterator[tuple[int, GeniusSong]]:
    """The artist's listed songs, most popular first, with their rank from 1; pages on demand."""
    page: int | None = 1
    rank = 0
    while page is not None:
        songs, page = client.artist_songs_page(artist_genius_id, page=page)
        for song in songs:
            rank += 1
            yield rank, song


@transaction.atomic
def save_artist(*, genius_artist: GeniusArtist) -> Artist:
    """The catalogue row for a Genius artist; a same-named artist entered by hand gets linked."""
    artist = Artist.objects.filter(genius_id=genius_artist.genius_id).first()
    if artist is None:
        artist = (
            Artist.objects.filter(genius_id__isnull=True, name__iexact=genius_artist.name)
            .order_by("pk")
            .first()
        ) or Artist(genius_id=genius_artist.genius_id)
    artist.genius_id = genius_artist.genius_id
    artist.name = _fit(Artist, "name", genius_artist.name)
    artist.genius_url = _url_that_fits(Artist, genius_artist.url)
    artist.save()
    return artist


def scrape_one_song(
    *,
    client: GeniusClient,
    artist: Artist,
    listed: GeniusSong,
    rank: int,
    refresh: bool = False,
    skip_rules: SkipRules = DEFAULT_SKIP_RULES,
) -> SongOutcome:
    """One listed song: skip it, keep what is stored, or fetch and store it whole. Idempotent."""
    assert artist.genius_id is not None, "scrape_one_song needs an artist linked to Genius"

    base = _outcome(listed=listed, rank=rank)
    reason = skip_rules.reason_to_skip(listed, artist_genius_id=artist.genius_id)
    if reason is not None:
        return replace(base, kind=SongOutcomeKind.SKIPPED, reason=reason.label)

    stored = Song.objects.filter(genius_id=listed.genius_id).exclude(raw_lyrics="").first()
    if stored is not None and not refresh:
        if stored.popularity_rank != rank:
            Song.objects.filter(pk=stored.pk).update(popularity_rank=rank)
        return replace(base, kind=SongOutcomeKind.ALREADY_STORED, song_pk=stored.pk)

    # Network first, database after: nothing is written until the song is complete.
    try:
        details = client.song(listed.genius_id)
        reason = skip_rules.reason_to_skip(details.song, artist_genius_id=artist.genius_id)
        if reason is not None:
            return replace(base, kind=SongOutcomeKind.SKIPPED, reason=reason.label)
        lyrics = extract_lyrics(client.song_page_html(details.song.url))
    except tuple(error_type for error_type, _ in _SONG_FAILURES) as error:
        short = next(label for error_type, label in _SONG_FAILURES if isinstance(error, error_type))
        # Counted in the summary; logged only for debugging, so progress bars stay clean.
        logger.debug("%s #%d %r: %s", artist.name, rank, listed.title, error)
        return replace(base, kind=SongOutcomeKind.FAILED, reason=short, detail=str(error))

    try:
        with transaction.atomic():
            song = Song.objects.select_for_update().filter(
                genius_id=listed.genius_id
            ).first() or Song(genius_id=listed.genius_id)
            is_new = song.pk is None
            song.artist = artist
            song.title = _fit(Song, "title", details.song.title)
            song.genius_url = _url_that_fits(Song, details.song.url)
            song.popularity_rank = rank
            song.release_date = details.release_date or song.release_date
            song.lyrics_state = _lyrics_state(details.song.lyrics_state)
            changed = song.set_raw_lyrics(lyrics)
            song.scraped_at = timezone.now()
            song.save()
    except IntegrityError:
        # Another worker stored the same song between our read and our write.
        stored = Song.objects.filter(genius_id=listed.genius_id).first()
        return replace(
            base, kind=SongOutcomeKind.ALREADY_STORED, song_pk=stored.pk if stored else None
        )
    if is_new:
        kind = SongOutcomeKind.NEW
    else:
        kind = SongOutcomeKind.UPDATED if changed else SongOutcomeKind.UNCHANGED
    return replace(base, kind=kind, song_pk=song.pk)


def scrape_artist_songs(
    *,
    client: GeniusClient,
    genius_artist: GeniusArtist,
    songs_per_artist: int = DEFAULT_SONGS_PER_ARTIST,
    refresh: bool = False,
    dry_run: bool = False,
    skip_rules: SkipRules = DEFAULT_SKIP_RULES,
    on_outcome: OutcomeCallback | None = None,
) -> ArtistScrapeSummary:
    """Walk the artist's songs by popularity until `songs_per_artist` have lyrics stored.

    Skipped and failed songs do not take a place: the next popular song does. A dry run
    writes nothing and fetches only the listing. Auth errors propagate; Genius failing for
    several songs in a row (or on the listing) stops the walk with `summary.stopped` set.
    """
    if songs_per_artist < 1:
        raise ValueError("songs_per_artist must be at least 1")
    summary = ArtistScrapeSummary(
        artist_name=genius_artist.name,
        artist_genius_id=genius_artist.genius_id,
        wanted=songs_per_artist,
        dry_run=dry_run,
    )
    retries_before = client.retries.by_reason.copy()
    artist: Artist | None = None
    if not dry_run:
        artist = save_artist(genius_artist=genius_artist)
        summary.artist_pk = artist.pk
    unavailable_in_a_row = 0
    progress = ScrapeProgress(
        genius_id=genius_artist.genius_id,
        artist_name=genius_artist.name,
        wanted=songs_per_artist,
        dry_run=dry_run,
    )
    record_progress(progress)
    try:
        songs = iter_artist_songs(client=client, artist_genius_id=genius_artist.genius_id)
        for rank, listed in songs:
            if artist is None:  # a dry run
                outcome = _plan_one_song(
                    listed=listed, rank=rank, genius_artist=genius_artist, skip_rules=skip_rules
                )
            else:
                outcome = scrape_one_song(
                    client=client,
                    artist=artist,
                    listed=listed,
                    rank=rank,
                    refresh=refresh,
                    skip_rules=skip_rules,
                )
            summary.add(outcome)
            if outcome.fills_a_place:
                record_progress(replace(progress, filled=summary.filled))
            if on_outcome is not None:
                on_outcome(outcome)
            if summary.filled >= songs_per_artist:
                break
            if outcome.kind is SongOutcomeKind.FAILED and outcome.reason == "unavailable":
                unavailable_in_a_row += 1
                if unavailable_in_a_row >= MAX_CONSECUTIVE_UNAVAILABLE:
                    summary.stopped = (
                        f"Genius failed {unavailable_in_a_row} songs in a row ({outcome.detail})"
                    )
                    break
            elif outcome.kind in _GENIUS_ANSWERED:
                # Skips and stored songs ask Genius nothing, so they prove nothing either way.
                unavailable_in_a_row = 0
        else:
            summary.listing_exhausted = True
    except GeniusNotFoundError:
        # Nothing to resume: the artist is gone from Genius (or the id was never one).
        summary.stopped = (
            f"Genius has no artist with id {genius_artist.genius_id} any more "
            "(its song listing answers 404)"
        )
        summary.resumable = False
    except (GeniusUnavailableError, GeniusResponseError) as error:
        summary.stopped = f"the song listing failed: {error}"
    except BaseException:
        # Ctrl-C or an auth refusal: the page must not show a run that is still going.
        line = f"{genius_artist.name}: ended early after {summary.filled} song(s)"
        record_progress(replace(progress, filled=summary.filled, state="stopped", line=line))
        raise
    finally:
        summary.retries = client.retries.by_reason - retries_before
    state = "stopped" if summary.stopped else "done"
    record_progress(replace(progress, filled=summary.filled, state=state, line=summary.line()))
    return summary


def link_artist(*, client: GeniusClient, artist_pk: int) -> tuple[Artist, GeniusArtist]:
    """An Artist row and its Genius artist: by its Genius id, else found by its name (one search)
    and the id stored on the row. Raises ScrapeError (one line) when the name matches no Genius
    artist, several (AmbiguousArtistError), or one another row already holds."""
    artist = Artist.objects.get(pk=artist_pk)
    genius_artist = find_artist(client=client, name=artist.name, genius_id=artist.genius_id)
    if artist.genius_id is None:
        if Artist.objects.filter(genius_id=genius_artist.genius_id).exists():
            raise ScrapeError(
                f"{artist.name!r} resolves to Genius artist {genius_artist.genius_id}, which "
                "another artist row already holds; merge them first"
            )
        # Link this very row, even if its name differs in case or accents from Genius'.
        Artist.objects.filter(pk=artist.pk).update(genius_id=genius_artist.genius_id)
        artist.genius_id = genius_artist.genius_id
    return artist, genius_artist


def scrape_artist_by_pk(
    *,
    client: GeniusClient,
    artist_pk: int,
    songs_per_artist: int = DEFAULT_SONGS_PER_ARTIST,
    refresh: bool = False,
) -> ArtistScrapeSummary:
    """For an Artist row (the admin action, the task): by its Genius id, else by its name."""
    _, genius_artist = link_artist(client=client, artist_pk=artist_pk)
    return scrape_artist_songs(
        client=client,
        genius_artist=genius_artist,
        songs_per_artist=songs_per_artist,
        refresh=refresh,
    )


def _plan_one_song(
    *, listed: GeniusSong, rank: int, genius_artist: GeniusArtist, skip_rules: SkipRules
) -> SongOutcome:
    """The dry-run step: what `scrape_one_song` would do, from the listing alone; no writes."""
    base = _outcome(listed=listed, rank=rank)
    reason = skip_rules.reason_to_skip(listed, artist_genius_id=genius_artist.genius_id)
    if reason is not None:
        return replace(base, kind=SongOutcomeKind.SKIPPED, reason=reason.label)
    stored = Song.objects.filter(genius_id=listed.genius_id).exclude(raw_lyrics="").first()
    if stored is not None:
        return replace(base, kind=SongOutcomeKind.ALREADY_STORED, song_pk=stored.pk)
    return base


def _outcome(*, listed: GeniusSong, rank: int) -> SongOutcome:
    """The outcome before anything is decided: planned."""
    return SongOutcome(
        rank=rank, genius_id=listed.genius_id, title=listed.title, kind=SongOutcomeKind.PLANNED
    )


def _lyrics_state(value: str) -> str:
    return value if value in Song.LyricsState.values else Song.LyricsState.UNKNOWN


def _fit(model: type[Model], field_name: str, text: str) -> str:
    """Text cut to the column's length: PostgreSQL refuses longer values, SQLite keeps them."""
    max_length = _max_length(model, field_name)
    return text[:max_length] if max_length else text


def _url_that_fits(model: type[Model], url: str) -> str:
    # A cut URL would point nowhere; an empty one says "unknown".
    max_length = _max_length(model, "genius_url")
    return url if max_length is None or len(url) <= max_length else ""


def _max_length(model: type[Model], field_name: str) -> int | None:
    field = model._meta.get_field(field_name)
    assert isinstance(field, Field), f"{model.__name__}.{field_name} is a relation"
    return field.max_length

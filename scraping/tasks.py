"""Celery doors into the scraping service: take ids, call the service, retry when Genius fails."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from celery import Task, shared_task

from scraping import services
from scraping.errors import GeniusUnavailableError, ScrapeError, ScrapeIncompleteError
from scraping.genius_client import GeniusClient, GeniusClientConfig
from scraping.summary import ArtistScrapeSummary

logger = logging.getLogger(__name__)

RETRY_COUNTDOWN_S = 120


@shared_task(bind=True, name="scraping.scrape_artist", max_retries=3, acks_late=True)
def scrape_artist(
    self: Task,
    artist_id: int,
    songs_per_artist: int = services.DEFAULT_SONGS_PER_ARTIST,
    refresh: bool = False,
) -> dict[str, Any]:
    """Scrape one Artist row's most popular songs; returns the summary as a dict.

    A run that Genius cut short is retried later (it resumes: stored songs are kept); a
    missing token, an auth refusal or an unknown/ambiguous name fail at once.
    """
    try:
        with GeniusClient(GeniusClientConfig.from_settings()) as client:
            summary = services.scrape_artist_by_pk(
                client=client,
                artist_pk=artist_id,
                songs_per_artist=songs_per_artist,
                refresh=refresh,
            )
    except GeniusUnavailableError as error:
        _retry_later(self, error)
    return _finish(self, summary)


@shared_task(bind=True, name="scraping.scrape_genius_artist", max_retries=3, acks_late=True)
def scrape_genius_artist(
    self: Task,
    genius_id: int,
    songs_per_artist: int = services.DEFAULT_SONGS_PER_ARTIST,
    refresh: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Scrape (or list, dry_run) a Genius artist picked by id in the admin's scrape by name."""
    try:
        with GeniusClient(GeniusClientConfig.from_settings()) as client:
            genius_artist = services.find_artist(client=client, genius_id=genius_id)
            summary = services.scrape_artist_songs(
                client=client,
                genius_artist=genius_artist,
                songs_per_artist=songs_per_artist,
                refresh=refresh,
                dry_run=dry_run,
            )
    except GeniusUnavailableError as error:
        _retry_later(self, error)
    return _finish(self, summary)


def _finish(task: Task, summary: ArtistScrapeSummary) -> dict[str, Any]:
    logger.info("%s", summary.line())
    if summary.stopped and not summary.resumable:
        # The artist is not on Genius: a retry would meet the same 404.
        raise ScrapeError(summary.line())
    if summary.stopped:
        _retry_later(task, ScrapeIncompleteError(summary.line()))
    return summary.as_dict()


def _retry_later(task: Task, error: Exception) -> NoReturn:
    # Run in place (eager, no broker), a retry now would only meet the same outage: the caller
    # gets the error, whose message says to run again.
    if task.request.is_eager:
        raise error
    raise task.retry(exc=error, countdown=_countdown_s(task))


def _countdown_s(task: Task) -> int:
    # Exponential across task retries: 2, 4, 8 minutes.
    return RETRY_COUNTDOWN_S * 2 ** int(task.request.retries or 0)

"""The "Scrape popular songs" action for the Artist admin: a thin door into the scrape task."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.broker import broker_reachable
from lyrics.background import runs_in_own_process
from lyrics.models import Artist
from scraping import services
from scraping.errors import AmbiguousArtistError, ScrapeError
from scraping.genius_client import GeniusClient, GeniusClientConfig
from scraping.jobs import ScrapeRequest, start_scrape
from scraping.tasks import scrape_artist


@admin.action(description="Scrape popular songs", permissions=["change"])
def scrape_popular_songs(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Artist]
) -> None:
    """Queue one scrape task per selected artist.

    The artists already exist, so the tasks are sent now rather than on commit. Without a broker
    each artist is scraped by a process of its own (its page shows the progress); one entered by
    hand is first looked up by name here (one Genius search) and linked to its Genius id. With
    Celery running tasks in place (the tests), the summary or error is shown as a message.
    """
    for artist in queryset.order_by("name"):
        if runs_in_own_process():
            # No broker: a `manage.py scrape` process of its own, not this request (scraping.jobs).
            try:
                genius_id = _linked_genius_id(artist)
            except ScrapeError as error:
                modeladmin.message_user(
                    request, _scrape_error_message(artist, error), messages.ERROR
                )
                continue
            scrape = ScrapeRequest(
                genius_id=genius_id, songs_per_artist=services.DEFAULT_SONGS_PER_ARTIST
            )
            started = start_scrape(scrape)
            modeladmin.message_user(
                request,
                f"{artist.name}: scraping started {started.where}; progress on its page.",
                messages.INFO,
            )
            continue
        try:
            with broker_reachable(ScrapeError):
                result = scrape_artist.delay(artist.pk)
        except ScrapeError as error:
            modeladmin.message_user(request, _scrape_error_message(artist, error), messages.ERROR)
            continue
        if result.ready() and isinstance(result.result, dict):
            level = messages.WARNING if result.result.get("stopped") else messages.SUCCESS
            modeladmin.message_user(request, result.result["line"], level)
        else:
            modeladmin.message_user(
                request, f"{artist.name}: scraping queued (task {result.id}).", messages.INFO
            )


def _linked_genius_id(artist: Artist) -> int:
    """The artist's Genius id, looked up by its name and stored when it has none."""
    if artist.genius_id is not None:
        return artist.genius_id
    with GeniusClient(GeniusClientConfig.from_settings()) as client:
        linked, _ = services.link_artist(client=client, artist_pk=artist.pk)
    assert linked.genius_id is not None
    return linked.genius_id


def _scrape_error_message(artist: Artist, error: ScrapeError) -> str:
    if isinstance(error, AmbiguousArtistError):
        return (
            f"{artist.name}: {error}. Enter the one you mean as the artist's Genius id "
            "(open the artist), then scrape again."
        )
    return f"{artist.name}: {error}"

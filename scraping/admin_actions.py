"""The "Scrape popular songs" action for the Artist admin: a thin door into the scrape task."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from lyrics.models import Artist
from scraping.errors import AmbiguousArtistError, ScrapeError
from scraping.tasks import scrape_artist


@admin.action(description="Scrape popular songs", permissions=["change"])
def scrape_popular_songs(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Artist]
) -> None:
    """Queue one scrape task per selected artist (run in place when Celery is eager).

    The artists already exist, so the tasks are sent now rather than on commit. With an eager
    Celery (no broker) the task runs here, and its summary or error is shown as a message.
    """
    for artist in queryset.order_by("name"):
        try:
            result = scrape_artist.delay(artist.pk)
        except AmbiguousArtistError as error:
            modeladmin.message_user(
                request,
                f"{artist.name}: {error}. Enter the one you mean as the artist's Genius id "
                "(open the artist), then scrape again.",
                messages.ERROR,
            )
            continue
        except ScrapeError as error:
            modeladmin.message_user(request, f"{artist.name}: {error}", messages.ERROR)
            continue
        if result.ready() and isinstance(result.result, dict):
            level = messages.WARNING if result.result.get("stopped") else messages.SUCCESS
            modeladmin.message_user(request, result.result["line"], level)
        else:
            modeladmin.message_user(
                request, f"{artist.name}: scraping queued (task {result.id}).", messages.INFO
            )

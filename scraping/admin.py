"""Scraping in the Artists admin: scrape by name, scrape popular songs, the scrape's progress.

The artists' admin belongs to lyrics; imports go downhill (scraping may import lyrics, never the
reverse), so scraping extends lyrics' `ArtistAdmin` and registers the result in its place.
"""

from __future__ import annotations

from django.contrib import admin

from lyrics.admin import ArtistAdmin
from lyrics.models import Artist
from scraping.admin_actions import scrape_popular_songs
from scraping.admin_scrape import ScrapeByNameMixin


class ScrapingArtistAdmin(ScrapeByNameMixin, ArtistAdmin):
    readonly_fields = [
        *ArtistAdmin.readonly_fields[:1],
        "scrape_progress",
        *ArtistAdmin.readonly_fields[1:],
    ]
    actions = [*(ArtistAdmin.actions or []), scrape_popular_songs]


admin.site.unregister(Artist)
admin.site.register(Artist, ScrapingArtistAdmin)

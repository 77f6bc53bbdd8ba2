"""Scrape by name from the artist admin: type a name, pick among Genius' candidates, choose the
songs per artist and whether to refresh or only list (dry run); the scrape runs in the
background and its progress shows on the artist's page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from lyrics.models import Artist
from scraping import services
from scraping.artist_resolution import artist_candidates
from scraping.errors import ScrapeError
from scraping.genius_client import GeniusClient, GeniusClientConfig
from scraping.jobs import ScrapeRequest, start_scrape
from scraping.progress import read_progress

MAX_SONGS_PER_ARTIST = 500


class ScrapeByNameForm(forms.Form):
    name = forms.CharField(max_length=200, label="Artist name")
    songs_per_artist = forms.IntegerField(
        min_value=1, max_value=MAX_SONGS_PER_ARTIST, initial=services.DEFAULT_SONGS_PER_ARTIST
    )
    mode = forms.ChoiceField(
        choices=[
            ("new", "scrape songs not stored yet"),
            ("refresh", "refresh: fetch stored songs again too"),
            ("dry_run", "dry run: list what would be scraped, write nothing"),
        ],
        initial="new",
        widget=forms.RadioSelect,
    )
    genius_id = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        label="Genius artist",
    )

    def offer(self, choices: list[tuple[int, str]]) -> None:
        self.fields["genius_id"].choices = choices

    def scrape_request(self) -> ScrapeRequest:
        data = self.cleaned_data
        return ScrapeRequest(
            genius_id=data["genius_id"],
            songs_per_artist=data["songs_per_artist"],
            refresh=data["mode"] == "refresh",
            dry_run=data["mode"] == "dry_run",
        )


class ScrapeByNameMixin:
    """For ArtistAdmin: the scrape-by-name page and the scrape's progress on an artist's page."""

    change_list_template = "admin/lyrics/artist/change_list.html"
    change_form_template = "admin/lyrics/artist/change_form.html"

    @admin.display(description="scraping")
    def scrape_progress(self, artist: Artist) -> SafeString | str:
        progress = read_progress(artist.genius_id)
        if progress is None:
            return "No scrape of this artist recorded lately."
        if progress.running:
            return format_html(
                "Running: {} of {} songs (this page reloads until it ends).",
                progress.filled,
                progress.wanted,
            )
        return progress.line

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        artist = kwargs.get("obj")
        progress = read_progress(artist.genius_id) if artist is not None else None
        context["scrape_running"] = progress is not None and progress.running
        return super().render_change_form(request, context, *args, **kwargs)  # type: ignore[misc]

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "scrape-by-name/",
                self.admin_site.admin_view(self.scrape_by_name_view),  # type: ignore[attr-defined]
                name="lyrics_artist_scrape_by_name",
            )
        ]
        return own + super().get_urls()  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "can_scrape_by_name": self.has_add_permission(request),  # type: ignore[attr-defined]
        }
        return super().changelist_view(request, extra_context=context)  # type: ignore[misc]

    def scrape_by_name_view(self, request: HttpRequest) -> HttpResponse:
        """POST a name: Genius' candidates to pick from; POST the pick: start the scrape."""
        if not self.has_add_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        form = ScrapeByNameForm(request.POST if request.method == "POST" else None)
        name = request.POST.get("name", "").strip() if request.method == "POST" else ""
        if name:
            try:
                with GeniusClient(GeniusClientConfig.from_settings()) as client:
                    # Searched again with the pick: only one of the candidates can be picked.
                    candidates = artist_candidates(client=client, name=name)
                    form.offer([(c.genius_id, f"{c.name} (id {c.genius_id})") for c in candidates])
                    if form.is_valid():
                        if form.cleaned_data["genius_id"] is not None:
                            return self._start(request, client, form)
                        if not candidates:
                            form.add_error("name", "Genius' search found no artist by this name")
            except ScrapeError as error:
                form.add_error(None, str(error))
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": Artist._meta,
            "title": "Scrape an artist by name",
            "form": form,
        }
        return TemplateResponse(request, "admin/lyrics/artist/scrape_by_name.html", context)

    def _start(
        self, request: HttpRequest, client: GeniusClient, form: ScrapeByNameForm
    ) -> HttpResponse:
        scrape = form.scrape_request()
        genius_artist = services.find_artist(client=client, genius_id=scrape.genius_id)
        artist = None if scrape.dry_run else services.save_artist(genius_artist=genius_artist)
        started = start_scrape(scrape)
        what = "Dry run of" if scrape.dry_run else "Scraping"
        message = started.summary_line or f"{what} {genius_artist.name} started {started.where}."
        self.message_user(request, message, messages.SUCCESS)  # type: ignore[attr-defined]
        if artist is None:
            return HttpResponseRedirect(reverse("admin:lyrics_artist_changelist"))
        return HttpResponseRedirect(reverse("admin:lyrics_artist_change", args=[artist.pk]))

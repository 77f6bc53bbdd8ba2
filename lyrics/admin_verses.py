"""What the verse admin shows and does beyond Django's defaults: the text in the list, a song
filter for the chosen artist, the coloured difference from fresh cleaning, and the revert."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from lyrics import services
from lyrics.cleaning.differences import fresh_cleaning_difference
from lyrics.cleaning.errors import CleaningError
from lyrics.models import Song, Verse

LIST_TEXT_CHARS = 110


class SongOfArtistFilter(admin.SimpleListFilter):
    """The songs of the artist chosen in the artist filter (a catalogue's every song would be
    thousands of links); without an artist it offers none and says so."""

    title = "song"
    parameter_name = "song"
    artist_parameter = "song__artist__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        artist_id = request.GET.get(self.artist_parameter, "")
        if not artist_id.isdigit():
            return []
        songs = Song.objects.filter(artist_id=int(artist_id)).order_by("popularity_rank", "title")
        return [(str(song_id), title) for song_id, title in songs.values_list("id", "title")]

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Any:
        choices = list(super().choices(changelist))
        if len(choices) == 1:
            choices.append(
                {"selected": False, "query_string": "#", "display": "(choose an artist first)"}
            )
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Verse]) -> QuerySet[Verse]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(song_id=int(value))
        return queryset


class VerseCurationMixin:
    """For VerseAdmin: list columns, the fresh-cleaning difference and reverting to it."""

    change_form_template = "admin/lyrics/verse/change_form.html"

    class Media:
        css = {"all": ["css/admin-lyrics.css"]}

    @admin.display(description="verse", ordering="text")
    def verse_text(self, verse: Verse) -> str:
        # Lines joined by " / ", so two verses of one song read apart in the list.
        return Truncator(" / ".join(verse.text.splitlines())).chars(LIST_TEXT_CHARS)

    @admin.display(description="song", ordering="song__title")
    def song_title(self, verse: Verse) -> str:
        return verse.song.title

    @admin.display(description="fresh cleaning vs this text")
    def fresh_cleaning(self, verse: Verse) -> SafeString | str:
        if not verse.pk:
            return ""
        difference = fresh_cleaning_difference(verse)
        if not difference.lines:
            return difference.message
        rows = format_html_join(
            "",
            '<tr class="diff-{}"><td class="diff-sign">{}</td><td><code>{}</code></td></tr>',
            ((line.kind, line.sign, line.text) for line in difference.lines),
        )
        return format_html(
            '<p>{}</p><table class="fresh-diff"><tbody>{}</tbody></table>',
            difference.message,
            rows,
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:verse_id>/revert/",
                self.admin_site.admin_view(self.revert_view),  # type: ignore[attr-defined]
                name="lyrics_verse_revert",
            )
        ]
        return own + super().get_urls()  # type: ignore[misc]

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        verse = kwargs.get("obj")
        context["can_revert"] = (
            verse is not None and verse.is_edited and self.has_change_permission(request, verse)  # type: ignore[attr-defined]
        )
        return super().render_change_form(request, context, *args, **kwargs)  # type: ignore[misc]

    def revert_view(self, request: HttpRequest, verse_id: int) -> HttpResponse:
        """POST: the verse takes fresh cleaning's text again (needs the change permission)."""
        verse = get_object_or_404(Verse.objects.select_related("song"), pk=verse_id)
        change_url = reverse("admin:lyrics_verse_change", args=[verse.pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        if not self.has_change_permission(request, verse):  # type: ignore[attr-defined]
            raise PermissionDenied
        try:
            services.revert_verse_to_fresh_cleaning(verse=verse)
        except CleaningError as error:
            self.message_user(request, f"Not reverted: {error}", messages.ERROR)  # type: ignore[attr-defined]
        else:
            self.message_user(  # type: ignore[attr-defined]
                request, "Reverted to fresh cleaning; the edit is gone.", messages.SUCCESS
            )
        return HttpResponseRedirect(change_url)

    @admin.action(description="Revert to fresh cleaning (drop the edits)", permissions=["change"])
    def revert_to_fresh_cleaning(self, request: HttpRequest, queryset: QuerySet[Verse]) -> None:
        reverted, refused = 0, []
        for verse in queryset.filter(is_edited=True).select_related("song"):
            try:
                services.revert_verse_to_fresh_cleaning(verse=verse)
            except CleaningError:
                refused.append(str(verse.pk))
            else:
                reverted += 1
        self.message_user(request, f"{reverted} verse(s) reverted to fresh cleaning.")  # type: ignore[attr-defined]
        if refused:
            self.message_user(  # type: ignore[attr-defined]
                request,
                f"Fresh cleaning no longer gives verse(s) {', '.join(refused)}: kept as edited.",
                messages.WARNING,
            )

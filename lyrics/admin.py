"""Staff curation of the catalogue: artists, songs beside their verses, and the verses."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.broker import BrokerUnreachable, broker_reachable
from lyrics import services
from lyrics.admin_verses import SongOfArtistFilter, VerseCurationMixin
from lyrics.background import runs_in_own_process, start_manage_command
from lyrics.models import Artist, Song, Verse


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    # Scraping (by name, popular songs, progress) is added by the scraping app (scraping/admin.py):
    # lyrics knows nothing of the app that fills it.
    list_display = ["name", "genius_id", "song_count", "verse_count", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["slug", "created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Artist]:
        return super().get_queryset(request).with_counts()  # type: ignore[attr-defined]

    @admin.display(description="songs", ordering="song_count")
    def song_count(self, artist: Artist) -> int:
        return artist.song_count  # type: ignore[attr-defined]

    @admin.display(description="verses", ordering="verse_count")
    def verse_count(self, artist: Artist) -> int:
        return artist.verse_count  # type: ignore[attr-defined]


class VerseInline(admin.TabularInline):
    model = Verse
    fields = ["position", "section_label", "text", "char_count", "included", "is_edited"]
    readonly_fields = ["char_count", "is_edited"]
    extra = 0
    ordering = ["position"]


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ["title", "artist", "popularity_rank", "lyrics_state", "included", "scraped_at"]
    list_select_related = ["artist"]
    list_filter = ["included", "lyrics_state", ("artist", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "artist__name"]
    readonly_fields = ["raw_lyrics", "raw_sha256", "scraped_at", "created_at", "updated_at"]
    autocomplete_fields = ["artist"]
    inlines = [VerseInline]
    actions = ["reclean_songs"]
    fieldsets = [
        (None, {"fields": ["artist", "title", "included", "popularity_rank", "release_date"]}),
        ("Genius", {"fields": ["genius_id", "genius_url", "lyrics_state", "scraped_at"]}),
        ("Raw lyrics (as scraped)", {"fields": ["raw_lyrics", "raw_sha256"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # A verse text edited in the song's inline is a staff edit too: re-cleaning keeps it.
        if formset.model is Verse:
            for verse_form in formset.forms:
                verse = verse_form.instance
                if verse.pk and "text" in verse_form.changed_data:
                    services.edit_verse_text(verse=verse, text=verse.text)
        super().save_formset(request, form, formset, change)

    @admin.action(
        description="Re-clean selected songs (rebuild their verses)", permissions=["change"]
    )
    def reclean_songs(self, request: HttpRequest, queryset: QuerySet[Song]) -> None:
        from lyrics.tasks import clean_lyrics_task

        song_ids = list(queryset.values_list("pk", flat=True))
        if runs_in_own_process():
            # No broker: not inside this request (lyrics.background).
            song_arguments = [argument for pk in song_ids for argument in ("--song", str(pk))]
            start_manage_command(["clean_lyrics", *song_arguments])
        else:
            try:
                with broker_reachable():
                    clean_lyrics_task.delay(song_ids=song_ids)
            except BrokerUnreachable as error:
                self.message_user(request, f"Cleaning not started: {error}.", messages.ERROR)
                return
        self.message_user(
            request, f"Cleaning queued for {len(song_ids)} song(s).", messages.SUCCESS
        )


@admin.register(Verse)
class VerseAdmin(VerseCurationMixin, admin.ModelAdmin):
    list_display = [
        "verse_text",
        "song_title",
        "artist_name",
        "section_label",
        "char_count",
        "included",
        "is_edited",
    ]
    list_display_links = ["verse_text"]
    list_select_related = ["song__artist"]
    list_filter = [
        "included",
        "is_edited",
        "section_label",
        ("song__artist", admin.RelatedOnlyFieldListFilter),
        SongOfArtistFilter,
    ]
    search_fields = ["text", "song__title", "song__artist__name"]
    readonly_fields = [
        "cleaned_text",
        "fresh_cleaning",
        "char_count",
        "is_edited",
        "created_at",
        "updated_at",
    ]
    autocomplete_fields = ["song"]
    actions = ["include_in_corpus", "exclude_from_corpus", "revert_to_fresh_cleaning"]

    @admin.display(description="artist", ordering="song__artist__name")
    def artist_name(self, verse: Verse) -> str:
        return verse.song.artist.name

    def save_model(self, request: HttpRequest, obj: Verse, form: object, change: bool) -> None:
        if change and "text" in getattr(form, "changed_data", []):
            services.edit_verse_text(verse=obj, text=obj.text)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Include in corpus", permissions=["change"])
    def include_in_corpus(self, request: HttpRequest, queryset: QuerySet[Verse]) -> None:
        changed = services.set_verses_included(
            verse_ids=queryset.values_list("pk", flat=True), included=True
        )
        self.message_user(request, f"{changed} verse(s) included in the corpus.", messages.SUCCESS)

    @admin.action(description="Exclude from corpus", permissions=["change"])
    def exclude_from_corpus(self, request: HttpRequest, queryset: QuerySet[Verse]) -> None:
        changed = services.set_verses_included(
            verse_ids=queryset.values_list("pk", flat=True), included=False
        )
        self.message_user(
            request, f"{changed} verse(s) excluded from the corpus.", messages.SUCCESS
        )


# Cleaning rules, their preview and the corpus record live in their own module.
import lyrics.admin_cleaning  # noqa: E402, F401

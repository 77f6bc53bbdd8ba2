"""Artists, their songs as scraped, and the verses training sees."""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models import Q
from django.utils.text import slugify


def normalise_line_endings(text: str) -> str:
    """\r\n (what a browser's textarea sends) and a lone \r become \n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ArtistQuerySet(models.QuerySet["Artist"]):
    def with_counts(self) -> ArtistQuerySet:
        """Song and verse counts in the same query (the admin list needs them for every row)."""
        return self.annotate(
            song_count=models.Count("songs", distinct=True),
            verse_count=models.Count("songs__verses", distinct=True),
        )


class Artist(models.Model):
    genius_id = models.PositiveBigIntegerField(
        unique=True,
        null=True,
        blank=True,
        help_text="Genius' number for the artist. Empty: scraping looks the name up on Genius "
        "(and asks for this number when several artists share the name).",
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    genius_url = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArtistQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="artist_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # The slug is derived from the name once; a rename keeps links stable.
        if not self.slug:
            self.slug = unique_artist_slug(self.name, exclude_pk=self.pk)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


def unique_artist_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name, allow_unicode=False)[:200] or "artist"
    taken = Artist.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    existing = set(taken.values_list("slug", flat=True))
    if base not in existing:
        return base
    suffix = 2
    while f"{base}-{suffix}" in existing:
        suffix += 1
    return f"{base}-{suffix}"


class Song(models.Model):
    class LyricsState(models.TextChoices):
        COMPLETE = "complete", "complete"
        INCOMPLETE = "incomplete", "incomplete"
        UNRELEASED = "unreleased", "unreleased"
        INSTRUMENTAL = "instrumental", "instrumental"
        UNKNOWN = "unknown", "unknown"

    genius_id = models.PositiveBigIntegerField(
        unique=True, null=True, blank=True, help_text="Empty for songs entered by hand."
    )
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="songs")
    title = models.CharField(max_length=300)
    genius_url = models.URLField(blank=True)
    popularity_rank = models.PositiveIntegerField(
        null=True, blank=True, help_text="1 = the artist's most popular song on Genius."
    )
    release_date = models.DateField(null=True, blank=True)
    lyrics_state = models.CharField(
        max_length=20, choices=LyricsState.choices, default=LyricsState.UNKNOWN
    )
    raw_lyrics = models.TextField(blank=True, help_text="Exactly as scraped, section headers kept.")
    raw_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    scraped_at = models.DateTimeField(null=True, blank=True)
    included = models.BooleanField(default=True, help_text="Part of the training corpus.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["artist__name", "popularity_rank", "title"]
        indexes = [
            models.Index(fields=["artist", "popularity_rank"]),
            models.Index(fields=["included"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="song_title_not_empty"),
            models.CheckConstraint(
                condition=Q(popularity_rank__isnull=True) | Q(popularity_rank__gte=1),
                name="song_popularity_rank_from_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.artist} — {self.title}"

    def set_raw_lyrics(self, raw_lyrics: str) -> bool:
        """Store new raw lyrics with their checksum; True when the text changed."""
        digest = sha256_text(raw_lyrics)
        changed = digest != self.raw_sha256
        self.raw_lyrics = raw_lyrics
        self.raw_sha256 = digest
        return changed


class VerseQuerySet(models.QuerySet["Verse"]):
    def in_corpus(self) -> VerseQuerySet:
        """Verses training sees: included, of included songs, and not empty."""
        return self.filter(included=True, song__included=True).exclude(text="")


class Verse(models.Model):
    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="verses")
    position = models.PositiveIntegerField(help_text="Order within the song, from 0.")
    section_label = models.CharField(
        max_length=100, blank=True, help_text='"Verse 1", "Chorus", "Hook"… empty when none.'
    )
    text = models.TextField(help_text="What training sees.")
    cleaned_text = models.TextField(
        blank=True, help_text="The cleaning pipeline's output, kept to show where an edit differs."
    )
    char_count = models.PositiveIntegerField(default=0, editable=False)
    included = models.BooleanField(default=True, help_text="Part of the training corpus.")
    is_edited = models.BooleanField(
        default=False, help_text="Edited by hand: re-cleaning keeps this text."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VerseQuerySet.as_manager()

    class Meta:
        ordering = ["song", "position"]
        constraints = [
            models.UniqueConstraint(fields=["song", "position"], name="verse_unique_position"),
        ]
        indexes = [
            models.Index(fields=["included"]),
            models.Index(fields=["section_label"]),
        ]

    def __str__(self) -> str:
        label = self.section_label or f"part {self.position + 1}"
        return f"{self.song.title} · {label}"

    def save(self, *args: object, **kwargs: object) -> None:
        # Whichever door wrote it (an admin textarea sends \r\n), training sees \n only;
        # char_count is derived from text and must never disagree with it.
        self.text = normalise_line_endings(self.text)
        self.char_count = len(self.text)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

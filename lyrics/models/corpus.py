"""A built training corpus: the file, its checksum and what is in it, so that a model can say
exactly what it learned from."""

from __future__ import annotations

from pathlib import Path

from django.db import models
from django.db.models import Q

CORPUS_FORMAT_VERSION = 1


class Corpus(models.Model):
    file_path = models.CharField(
        max_length=1000, help_text="Where the corpus text file was written."
    )
    sha256 = models.CharField(max_length=64, db_index=True)
    byte_size = models.PositiveBigIntegerField()
    format_version = models.PositiveSmallIntegerField(default=CORPUS_FORMAT_VERSION)
    verse_count = models.PositiveIntegerField(
        help_text="Verses in the file (twice the source if augmented)."
    )
    source_verse_count = models.PositiveIntegerField(
        help_text="Distinct verses taken from the catalogue."
    )
    char_count = models.PositiveBigIntegerField(help_text="Characters in the file.")
    line_count = models.PositiveIntegerField(
        help_text="Lyric lines in the file (blank lines not counted)."
    )
    vocabulary_size = models.PositiveIntegerField(
        help_text="Distinct characters, newline included."
    )
    word_vocabulary_size = models.PositiveIntegerField(help_text="Distinct lower-cased words.")
    artist_shares = models.JSONField(
        default=dict,
        help_text='Per artist: {"verses": n, "chars": n, "share": fraction of characters}.',
    )
    augmented = models.BooleanField(default=False)
    seed = models.BigIntegerField(null=True, blank=True, help_text="Shuffle seed when augmented.")
    min_chars = models.PositiveIntegerField(default=0, help_text="Shorter verses were left out.")
    artist_filter = models.JSONField(default=list, blank=True, help_text="Empty: every artist.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "corpora"
        constraints = [
            models.CheckConstraint(
                condition=Q(augmented=False) | Q(seed__isnull=False),
                name="corpus_augmented_has_seed",
            ),
        ]

    def __str__(self) -> str:
        return f"corpus #{self.pk} ({self.verse_count} verses, {self.sha256[:12]})"

    @property
    def path(self) -> Path:
        return Path(self.file_path)

"""The lyrics catalogue: one module per room, re-exported here for Django."""

from lyrics.models.catalog import Artist, Song, Verse
from lyrics.models.cleaning import CleaningRule
from lyrics.models.corpus import Corpus

__all__ = ["Artist", "CleaningRule", "Corpus", "Song", "Verse"]

"""The lyrics catalogue: one module per room, re-exported here for Django."""

from lyrics.models.catalog import Artist, Song, Verse

__all__ = ["Artist", "Song", "Verse"]

"""Which listed songs are not worth scraping, and why (each reason is counted in the summary)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from scraping.genius_records import GeniusSong


class SkipReason(enum.StrEnum):
    NOT_PRIMARY_ARTIST = "not-primary-artist"
    INSTRUMENTAL = "instrumental"
    LYRICS_NOT_COMPLETE = "lyrics-not-complete"
    SKIT = "skit"
    INTERLUDE = "interlude"
    INTRO_OUTRO = "intro-outro"
    TRACKLIST = "tracklist"
    CREDITS = "credits"
    INTERVIEW = "interview"
    REMIX = "remix"
    LIVE = "live"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ")


# Title patterns for entries that are not songs, or are duplicates of one. Matched
# case-insensitively against the title; first match wins, in this order.
TITLE_PATTERNS: tuple[tuple[SkipReason, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        (SkipReason.TRACKLIST, r"\btrack\s*-?\s*list\b|\balbum\s+art\b"),
        (SkipReason.CREDITS, r"\bcredits\b|\bliner\s+notes\b"),
        (SkipReason.INTERVIEW, r"\binterview\b"),
        (SkipReason.SKIT, r"\bskit\b"),
        (SkipReason.INTERLUDE, r"\binterlude\b"),
        # "Intro", "The Outro", "Homecoming (Intro)" — not "Introspection".
        (
            SkipReason.INTRO_OUTRO,
            r"^\s*(?:the\s+)?(?:intro|outro)\b|[(\[]\s*(?:intro|outro)\s*[)\]]",
        ),
        (SkipReason.REMIX, r"\bremix(?:ed)?\b|\brmx\b"),
        # "Song (Live)", "Song [Live at the Forum]", "Song - Live from Paris"; not "Live Forever".
        (SkipReason.LIVE, r"[(\[]\s*live\b|-\s*live\b|\blive\s+(?:at|from|in|on)\b"),
    )
)


@dataclass(frozen=True, kw_only=True)
class SkipRules:
    """The reasons in force; leave one out (`--keep remix`) to scrape those songs too."""

    enabled: frozenset[SkipReason] = frozenset(SkipReason)

    def without(self, kept: set[SkipReason]) -> SkipRules:
        return SkipRules(enabled=self.enabled - kept)

    def reason_to_skip(self, song: GeniusSong, *, artist_genius_id: int) -> SkipReason | None:
        """Why this song should not be scraped for this artist, or None to scrape it."""
        for reason in self._reasons(song, artist_genius_id=artist_genius_id):
            if reason in self.enabled:
                return reason
        return None

    @staticmethod
    def _reasons(song: GeniusSong, *, artist_genius_id: int) -> list[SkipReason]:
        reasons: list[SkipReason] = []
        if song.primary_artist.genius_id != artist_genius_id:
            reasons.append(SkipReason.NOT_PRIMARY_ARTIST)
        if song.instrumental or song.lyrics_state == "instrumental":
            reasons.append(SkipReason.INSTRUMENTAL)
        elif song.lyrics_state != "complete":
            reasons.append(SkipReason.LYRICS_NOT_COMPLETE)
        reasons.extend(reason for reason, pattern in TITLE_PATTERNS if pattern.search(song.title))
        return reasons


DEFAULT_SKIP_RULES = SkipRules()

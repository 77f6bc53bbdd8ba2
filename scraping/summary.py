"""What happened to each listed song, and the per-artist tally the command and the task report."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class SongOutcomeKind(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # re-fetched (--refresh) with the same lyrics
    ALREADY_STORED = "already-stored"  # stored by an earlier run, not fetched again
    PLANNED = "planned"  # --dry-run: would be fetched
    SKIPPED = "skipped"
    FAILED = "failed"


# Outcomes that fill one of the artist's N places.
_COUNTED = frozenset(
    {
        SongOutcomeKind.NEW,
        SongOutcomeKind.UPDATED,
        SongOutcomeKind.UNCHANGED,
        SongOutcomeKind.ALREADY_STORED,
        SongOutcomeKind.PLANNED,
    }
)


@dataclass(frozen=True, kw_only=True)
class SongOutcome:
    rank: int
    genius_id: int
    title: str
    kind: SongOutcomeKind
    # Why skipped ("remix") or failed ("no lyrics"): short, for counting.
    reason: str = ""
    # The one-line error behind a failure, for -v 2 and logs.
    detail: str = ""
    song_pk: int | None = None

    @property
    def fills_a_place(self) -> bool:
        return self.kind in _COUNTED

    def line(self) -> str:
        why = f" ({self.reason}{': ' + self.detail if self.detail else ''})" if self.reason else ""
        return f"  #{self.rank} {self.title}: {self.kind.value.replace('-', ' ')}{why}"


@dataclass(kw_only=True)
class ArtistScrapeSummary:
    artist_name: str
    artist_genius_id: int
    wanted: int
    dry_run: bool = False
    artist_pk: int | None = None
    kinds: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    # The artist has fewer qualifying songs than wanted.
    listing_exhausted: bool = False
    # Set when the run stopped before the end; a re-run resumes unless Genius lacks the artist.
    stopped: str = ""
    resumable: bool = True

    def add(self, outcome: SongOutcome) -> None:
        self.kinds[outcome.kind.value] += 1
        if outcome.kind is SongOutcomeKind.SKIPPED:
            self.skipped[outcome.reason] += 1
        elif outcome.kind is SongOutcomeKind.FAILED:
            self.failed[outcome.reason] += 1

    @property
    def filled(self) -> int:
        """Songs the artist now has (or would have, in a dry run) out of `wanted`."""
        return sum(self.kinds[kind.value] for kind in _COUNTED)

    @property
    def complete(self) -> bool:
        return not self.stopped

    def line(self) -> str:
        name = f"{self.artist_name} (Genius id {self.artist_genius_id})"
        verb = "would have" if self.dry_run else "has"
        tally = self._tally(self.kinds, skip=frozenset({"skipped", "failed"}))
        head = f"{name}: {verb} {self.filled} of {self.wanted} songs ({tally})"
        if self.listing_exhausted and self.filled < self.wanted:
            head += ", no more songs listed"
        parts = [head]
        parts.append(f"skipped {self.skipped.total()}{self._paren(self.skipped)}")
        parts.append(f"failed {self.failed.total()}{self._paren(self.failed)}")
        parts.append(f"retries {self.retries.total()}{self._paren(self.retries)}")
        if self.stopped:
            advice = "run again to resume" if self.resumable else "the artist is not on Genius"
            parts.append(f"STOPPED: {self.stopped}; {advice}")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for a Celery result."""
        return {
            "artist_name": self.artist_name,
            "artist_genius_id": self.artist_genius_id,
            "artist_pk": self.artist_pk,
            "wanted": self.wanted,
            "filled": self.filled,
            "dry_run": self.dry_run,
            "outcomes": dict(self.kinds),
            "skipped": dict(self.skipped),
            "failed": dict(self.failed),
            "retries": dict(self.retries),
            "listing_exhausted": self.listing_exhausted,
            "stopped": self.stopped,
            "resumable": self.resumable,
            "line": self.line(),
        }

    @staticmethod
    def _tally(counts: Counter[str], *, skip: frozenset[str] = frozenset()) -> str:
        shown = [(key, n) for key, n in sorted(counts.items()) if n and key not in skip]
        return ", ".join(f"{n} {key.replace('-', ' ')}" for key, n in shown) or "none"

    @classmethod
    def _paren(cls, counts: Counter[str]) -> str:
        return f" ({cls._tally(counts)})" if counts.total() else ""

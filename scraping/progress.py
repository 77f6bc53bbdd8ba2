"""How far a scrape has got, for the artist's admin page: kept in the cache by Genius artist id.

Written by the scrape service itself (so the command, the Celery task and the admin's background
process all report), read by the admin; a record lives a day after its last update.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.core.cache import cache

RECORD_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ScrapeProgress:
    genius_id: int
    artist_name: str
    wanted: int
    filled: int = 0
    state: str = "running"  # running, done, stopped
    dry_run: bool = False
    line: str = ""  # the summary line, once the run has ended

    @property
    def running(self) -> bool:
        return self.state == "running"


def _key(genius_id: int) -> str:
    return f"scraping:progress:{genius_id}"


def record_progress(progress: ScrapeProgress) -> None:
    cache.set(_key(progress.genius_id), asdict(progress), RECORD_SECONDS)


def read_progress(genius_id: int | None) -> ScrapeProgress | None:
    if genius_id is None:
        return None
    stored = cache.get(_key(genius_id))
    return ScrapeProgress(**stored) if isinstance(stored, dict) else None

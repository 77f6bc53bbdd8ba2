"""A scrape started from the admin runs in the background, never in the web request.

With a broker it is the `scraping.scrape_genius_artist` Celery task; without one, a
`manage.py scrape --genius-id …` process of its own (lyrics.background), its output in
ARTIFACTS_DIR/scrapes/genius-<id>.log. Either way the service records its progress
(scraping.progress), which the artist's admin page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from common.broker import broker_reachable
from lyrics.background import runs_in_own_process, start_manage_command
from scraping.errors import ScrapeError


@dataclass(frozen=True)
class ScrapeRequest:
    genius_id: int
    songs_per_artist: int
    refresh: bool = False
    dry_run: bool = False

    def command_arguments(self) -> list[str]:
        arguments = ["scrape", "--genius-id", str(self.genius_id)]
        arguments += ["--songs-per-artist", str(self.songs_per_artist)]
        if self.refresh:
            arguments.append("--refresh")
        if self.dry_run:
            arguments.append("--dry-run")
        return arguments


@dataclass(frozen=True)
class StartedScrape:
    where: str  # for the message to staff
    summary_line: str = ""  # known at once only when the task ran in place


def scrape_log(genius_id: int) -> Path:
    return Path(settings.ARTIFACTS_DIR) / "scrapes" / f"genius-{genius_id}.log"


def start_scrape(request: ScrapeRequest) -> StartedScrape:
    """Hand the scrape to the background; ScrapeError (one line) when it fails run in place."""
    if runs_in_own_process():
        log_path = scrape_log(request.genius_id)
        start_manage_command(request.command_arguments(), log_path=log_path)
        return StartedScrape(where=f"in a process of its own (no Celery broker; log: {log_path})")
    from scraping.tasks import scrape_genius_artist

    with broker_reachable(ScrapeError):
        result = scrape_genius_artist.delay(
            request.genius_id,
            songs_per_artist=request.songs_per_artist,
            refresh=request.refresh,
            dry_run=request.dry_run,
        )
    if result.ready():
        summary = result.get()
        return StartedScrape(
            where="in this process (Celery runs tasks eagerly)", summary_line=summary["line"]
        )
    return StartedScrape(where=f"on a Celery worker (task {result.id})")

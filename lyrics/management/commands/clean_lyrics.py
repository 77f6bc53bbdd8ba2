"""manage.py clean_lyrics: apply the cleaning rules and rebuild verses (a door to the service)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lyrics.cleaning.errors import CleaningError
from lyrics.cleaning.verses import CleaningSummary, clean_lyrics
from lyrics.models import CleaningRule, Song


class Command(BaseCommand):
    help = (
        "Apply the enabled cleaning rules, in order, to songs' raw lyrics and rebuild their "
        "verses. Staff edits and exclusions are kept; a second run with the same rules changes "
        "nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--song",
            dest="song_ids",
            type=int,
            action="append",
            metavar="ID",
            help="Clean only this song (repeatable). Default: every song.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--keep-repeats",
            action="store_true",
            help="Keep repeated choruses/hooks (by default only the first copy in a song is kept).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity: int = options["verbosity"]
        show_progress = verbosity > 0 and sys.stderr.isatty()

        def progress(songs: Iterable[Song], total: int) -> Iterable[Song]:
            return tqdm(songs, total=total, unit="song", disable=not show_progress)

        try:
            summary = clean_lyrics(
                song_ids=options["song_ids"],
                dry_run=options["dry_run"],
                dedupe_repeats=not options["keep_repeats"],
                progress=progress,
            )
        except CleaningError as error:
            raise CommandError(str(error)) from None
        if verbosity > 0:
            self._report(summary, verbosity=verbosity)

    def _report(self, summary: CleaningSummary, *, verbosity: int) -> None:
        rule_names = list(CleaningRule.objects.enabled().in_order().values_list("name", flat=True))
        matched = [(name, summary.match_counts[name]) for name in rule_names]
        if verbosity < 2:
            matched = [(name, count) for name, count in matched if count]
        if matched:
            width = max(len(name) for name, _ in matched)
            self.stdout.write("Matches per rule:")
            for name, count in matched:
                self.stdout.write(f"  {name:<{width}}  {count}")
        if summary.unsettled_sections:
            self.stderr.write(
                self.style.WARNING(
                    f"{summary.unsettled_sections} section(s) never settled: two rules undo each "
                    "other; preview the rules you changed last"
                )
            )
        prefix = "Dry run, nothing written: would clean" if summary.dry_run else "Cleaned"
        line = (
            f"{prefix} {summary.songs} song(s) ({summary.songs_changed} changed, "
            f"{summary.songs_skipped} without raw lyrics skipped): {summary.verses_total} verses, "
            f"{summary.verses_created} created, {summary.verses_updated} updated, "
            f"{summary.verses_deleted} deleted, "
            f"{summary.repeats_dropped} repeated choruses dropped, "
            f"{summary.edits_differing} edited verse(s) differ from fresh cleaning."
        )
        self.stdout.write(self.style.SUCCESS(line))

"""`manage.py scrape`: the most popular songs of each named artist, from Genius to the catalogue."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from scraping import services
from scraping.errors import AmbiguousArtistError, GeniusAuthError, ScrapeError
from scraping.genius_client import GeniusClient, GeniusClientConfig
from scraping.genius_records import GeniusArtist
from scraping.song_rules import DEFAULT_SKIP_RULES, SkipReason, SkipRules
from scraping.summary import ArtistScrapeSummary, SongOutcome

INTERRUPTED_EXIT_CODE = 130


class Command(BaseCommand):
    help = (
        "Scrape the N most popular songs of each artist from Genius into the catalogue. "
        "Needs GENIUS_ACCESS_TOKEN. Safe to re-run: stored songs are kept (unless --refresh) "
        "and an interrupted run resumes where it stopped."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--artist", action="append", default=[], metavar="NAME", help="repeatable"
        )
        parser.add_argument(
            "--artists-file",
            type=Path,
            metavar="FILE",
            help="one artist name a line; blank lines and lines starting with # are ignored",
        )
        parser.add_argument(
            "--genius-id",
            action="append",
            type=int,
            default=[],
            metavar="ID",
            help="an artist by Genius id, when a name is ambiguous (repeatable)",
        )
        parser.add_argument(
            "--songs-per-artist",
            type=int,
            default=services.DEFAULT_SONGS_PER_ARTIST,
            metavar="N",
            help="songs with lyrics to keep per artist, most popular first (default %(default)s)",
        )
        parser.add_argument(
            "--refresh", action="store_true", help="re-fetch songs that are already stored"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="resolve the artists and list the songs that would be scraped; write nothing",
        )
        parser.add_argument(
            "--keep",
            action="append",
            default=[],
            choices=[reason.value for reason in SkipReason],
            metavar="REASON",
            help="scrape songs normally skipped for REASON (repeatable): "
            + ", ".join(reason.value for reason in SkipReason),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity: int = options["verbosity"]
        names = self._artist_names(options["artist"], options["artists_file"])
        genius_ids: list[int] = options["genius_id"]
        songs_per_artist: int = options["songs_per_artist"]
        if not names and not genius_ids:
            raise CommandError("name at least one artist: --artist, --artists-file or --genius-id")
        if songs_per_artist < 1:
            raise CommandError(f"--songs-per-artist must be at least 1, not {songs_per_artist}")
        if options["dry_run"] and options["refresh"]:
            raise CommandError(
                "--refresh re-fetches stored songs and --dry-run fetches none; use one of them"
            )
        skip_rules = DEFAULT_SKIP_RULES.without({SkipReason(value) for value in options["keep"]})

        try:
            client = GeniusClient(GeniusClientConfig.from_settings())
        except ScrapeError as error:
            raise CommandError(str(error)) from None
        with client:
            try:
                artists = self._resolve(client, names=names, genius_ids=genius_ids)
            except KeyboardInterrupt:
                raise CommandError(
                    "interrupted while finding the artists; nothing was written",
                    returncode=INTERRUPTED_EXIT_CODE,
                ) from None
            summaries: list[ArtistScrapeSummary] = []
            for genius_artist in artists:
                summary = self._scrape_one_artist(
                    client,
                    genius_artist,
                    songs_per_artist=songs_per_artist,
                    refresh=options["refresh"],
                    dry_run=options["dry_run"],
                    skip_rules=skip_rules,
                    verbosity=verbosity,
                )
                summaries.append(summary)
                if verbosity >= 1:
                    style = self.style.SUCCESS if summary.complete else self.style.WARNING
                    self.stdout.write(style(summary.line()))

        unfinished = [summary for summary in summaries if not summary.complete]
        if unfinished:
            names_left = ", ".join(summary.artist_name for summary in unfinished)
            advice = (
                "run the same command again to resume"
                if all(summary.resumable for summary in unfinished)
                else "check the artist on Genius; a re-run cannot help"
            )
            raise CommandError(
                f"{len(unfinished)} of {len(summaries)} artist(s) did not finish ({names_left}): "
                f"{unfinished[0].stopped}; {advice}"
            )
        if verbosity >= 1 and len(summaries) > 1:
            filled = sum(summary.filled for summary in summaries)
            verb = "would have" if options["dry_run"] else "have"
            self.stdout.write(f"{len(summaries)} artists {verb} {filled} songs in all")

    # --- steps ---------------------------------------------------------------------------------
    @staticmethod
    def _artist_names(names: list[str], artists_file: Path | None) -> list[str]:
        wanted = [name.strip() for name in names if name.strip()]
        if artists_file is not None:
            try:
                lines = artists_file.read_text(encoding="utf-8").splitlines()
            except OSError as error:
                raise CommandError(
                    f"cannot read --artists-file {artists_file}: {error.strerror}"
                ) from None
            except UnicodeDecodeError:
                raise CommandError(f"--artists-file {artists_file} is not UTF-8 text") from None
            wanted += [
                line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
            ]
        # The same artist twice is one artist; keep the order given.
        return list(dict.fromkeys(wanted))

    def _resolve(
        self, client: GeniusClient, *, names: list[str], genius_ids: list[int]
    ) -> list[GeniusArtist]:
        """Every artist before any song: a typo in the 40th name must not cost a half run."""
        found: dict[int, GeniusArtist] = {}
        problems: list[str] = []
        targets: list[dict[str, Any]] = [{"name": name} for name in names]
        targets += [{"genius_id": genius_id} for genius_id in genius_ids]
        for target in targets:
            try:
                artist = services.find_artist(client=client, **target)
            except GeniusAuthError as error:
                raise CommandError(str(error)) from None
            except AmbiguousArtistError as error:
                example = f"--genius-id {error.candidate_ids[0]}" if error.candidate_ids else ""
                problems.append(
                    f"{error}; pass --genius-id with the one you mean instead of --artist "
                    f"{target['name']!r} (e.g. {example})"
                )
                continue
            except ScrapeError as error:
                problems.append(str(error))
                continue
            found.setdefault(artist.genius_id, artist)
        if problems:
            raise CommandError("; ".join(problems))
        return list(found.values())

    def _scrape_one_artist(
        self,
        client: GeniusClient,
        genius_artist: GeniusArtist,
        *,
        songs_per_artist: int,
        refresh: bool,
        dry_run: bool,
        skip_rules: SkipRules,
        verbosity: int,
    ) -> ArtistScrapeSummary:
        progress_file: TextIO = getattr(self.stderr, "_out", sys.stderr)
        bar = tqdm(
            total=songs_per_artist,
            desc=genius_artist.name,
            unit="song",
            file=progress_file,
            disable=verbosity == 0 or not self.stderr.isatty(),
            leave=False,
        )
        seen: list[SongOutcome] = []

        def on_outcome(outcome: SongOutcome) -> None:
            seen.append(outcome)
            if outcome.fills_a_place:
                bar.update(1)
            if verbosity >= 2:
                bar.write(outcome.line(), file=getattr(self.stdout, "_out", sys.stdout))

        try:
            return services.scrape_artist_songs(
                client=client,
                genius_artist=genius_artist,
                songs_per_artist=songs_per_artist,
                refresh=refresh,
                dry_run=dry_run,
                skip_rules=skip_rules,
                on_outcome=on_outcome,
            )
        except GeniusAuthError as error:
            raise CommandError(str(error)) from None
        except KeyboardInterrupt:
            # The song in flight was not written (each song is one transaction after its fetch).
            done = sum(1 for outcome in seen if outcome.fills_a_place)
            raise CommandError(
                f"interrupted during {genius_artist.name} after {done} song(s); every stored "
                "song is whole: run the same command again to resume",
                returncode=INTERRUPTED_EXIT_CODE,
            ) from None
        finally:
            bar.close()

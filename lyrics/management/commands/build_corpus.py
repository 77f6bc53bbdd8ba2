"""manage.py build_corpus: write the included verses as a training corpus file and record it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lyrics.corpus_builder import CorpusError, build_corpus


class Command(BaseCommand):
    help = (
        "Write the included verses as a text file (verses separated by a blank line) and record a "
        "Corpus row with its checksum and statistics. Same database + same seed → same bytes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            metavar="FILE",
            help="Where to write. Default: ARTIFACTS_DIR/corpora/corpus-<sha256 prefix>.txt",
        )
        parser.add_argument(
            "--augment",
            action="store_true",
            help="Append a copy of the verses shuffled with --seed (doubles the corpus).",
        )
        parser.add_argument(
            "--seed", type=int, metavar="N", help="Shuffle seed for --augment (default 0)."
        )
        parser.add_argument(
            "--artist",
            dest="artist_names",
            action="append",
            default=[],
            metavar="NAME",
            help="Only this artist's verses (name or slug, repeatable). Default: every artist.",
        )
        parser.add_argument(
            "--min-chars",
            type=int,
            default=0,
            metavar="N",
            help="Leave out verses shorter than N characters.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the statistics; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seed"] is not None and not options["augment"]:
            raise CommandError("--seed only applies with --augment")
        try:
            build = build_corpus(
                output=options["output"],
                augment=options["augment"],
                seed=options["seed"],
                artist_names=options["artist_names"],
                min_chars=options["min_chars"],
                dry_run=options["dry_run"],
            )
        except CorpusError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] == 0:
            return
        stats = build.stats
        if options["verbosity"] > 1:
            for name, share in stats.artist_shares.items():
                self.stdout.write(f"  {name}: {share['verses']} verses, {share['share']:.1%}")
        summary = (
            f"{stats.verse_count} verses ({stats.source_verse_count} distinct), "
            f"{stats.char_count} characters, {stats.line_count} lines, "
            f"{stats.vocabulary_size} distinct characters, sha256 {build.sha256[:12]}"
        )
        if build.corpus is None:
            self.stdout.write(self.style.SUCCESS(f"Dry run, nothing written: {summary}"))
        elif build.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Wrote {build.corpus.file_path} as corpus #{build.corpus.pk}: {summary}"
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Unchanged: corpus #{build.corpus.pk} already records "
                    f"{build.corpus.file_path}: {summary}"
                )
            )

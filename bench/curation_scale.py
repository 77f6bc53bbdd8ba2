"""Curation at the seed's size: cleaning, a rule preview and a corpus build on synthetic songs.

Builds 240 and 2,400 songs of invented text (about 1,600 characters each, with the clutter a
Genius page carries and the spellings the shipped rules normalise) in a throwaway database
(PostgreSQL when one answers on 127.0.0.1:5432, as the issue measured, else SQLite), and times
each step of issue 18's item 6, with the baseline in the same run:

- clean: every song's raw lyrics through the shipped rules as the engine ran them before (rule by
  rule, every regex searched) and as it runs them now (spelling rules in one pass, a rule whose
  required text is absent skipped); CPU seconds of this process, best of three, alternating, as
  the machine is shared; then the `clean_lyrics` service, writing verses (wall clock);
- preview: a new rule's preview as it was (every song cleaned twice, rule by rule) and as the
  admin now runs it (a 1.5 s sample, then the exact count over every song, as the background
  work does);
- build corpus: `build_corpus` over the verses cleaning wrote.

    .venv/bin/python bench/curation_scale.py [--sizes 240 2400] [--skip-baseline-above 2400]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]

# Invented words and the variants the shipped spelling rules rewrite ("gettin'", "cuz", "thru").
WORDS = [
    "city",
    "night",
    "money",
    "corner",
    "window",
    "dream",
    "paper",
    "rent",
    "avenue",
    "bottom",
    "block",
    "crew",
    "verse",
    "ink",
    "sneaker",
    "bus",
    "light",
    "rain",
    "gold",
    "road",
    "late",
    "train",
    "home",
    "cold",
    "coffee",
    "counter",
    "landlord",
    "receipt",
    "echo",
    "static",
]
SPELLINGS = [
    "gettin’",
    "nothin",
    "ridin'",
    "rollin’",
    "Movin",
    "talkin'",
    "cuz",
    "thru",
    "tho",
    "yall",
    "'bout",
    "wit'",
    "GETTIN'",
    "Livin'",
    "workin",
]
SECTIONS = ["Intro", "Verse 1: MC Example", "Chorus", "Verse 2", "Chorus", "Bridge", "Outro"]


def synthetic_song(rng: random.Random, number: int) -> str:
    """A scraped page's text: header, bracketed sections, an ad block, curly quotes, Embed."""

    def line() -> str:
        pool = WORDS + SPELLINGS if rng.random() < 0.3 else WORDS
        return " ".join(rng.choice(pool) for _ in range(rng.randint(5, 9)))

    parts = [f"{rng.randint(2, 40)} ContributorsSong Number {number} Lyrics"]
    chorus = [line() for _ in range(4)]
    for index, label in enumerate(SECTIONS):
        parts.append(f"[{label}]")
        parts += chorus if label == "Chorus" else [line() for _ in range(rng.randint(4, 8))]
        if index == 2:
            parts.append("You might also like")
        if rng.random() < 0.2:
            parts.append(f"\u201cquoted\u201d words \u2014 and more\u2026 (x{rng.randint(2, 4)})")
    return "\n".join(parts) + f"\n{rng.randint(1, 99)}Embed"


def _postgres_url() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
    except OSError:
        return None
    import psycopg

    name = f"raplyrics_bench_{os.getpid()}"
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def _drop_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _setup_django(data_dir: Path, database_url: str | None) -> None:
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{data_dir / 'db.sqlite3'}"
    os.environ["RAPLYRICS_DATA_DIR"] = str(data_dir)
    os.environ["ARTIFACTS_DIR"] = str(data_dir / "artifacts")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raplyrics.settings")
    sys.path.insert(0, str(REPO_ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _fill(song_count: int, rng: random.Random) -> None:
    from lyrics.models import Artist, Song, Verse

    Verse.objects.all().delete()
    Song.objects.all().delete()
    Artist.objects.all().delete()
    artists = [Artist.objects.create(name=f"MC Synthetic {n}") for n in range(40)]
    songs = []
    for number in range(song_count):
        song = Song(
            artist=artists[number % len(artists)],
            title=f"Song Number {number}",
            popularity_rank=number // len(artists) + 1,
        )
        song.set_raw_lyrics(synthetic_song(rng, number))
        songs.append(song)
    Song.objects.bulk_create(songs, batch_size=500)


def _timed(step: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds (what staff wait) and the result; the CPU seconds go to _last_cpu."""
    global _last_cpu
    started, cpu_started = time.perf_counter(), time.process_time()
    result = step()
    _last_cpu = time.process_time() - cpu_started
    return time.perf_counter() - started, result


_last_cpu = 0.0


def _cpu_best_of(steps: dict[str, Callable[[], Any]], repeats: int = 3) -> dict[str, float]:
    """Each step's least CPU time over `repeats` rounds, the steps alternating in each round."""
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(repeats):
        for name, step in steps.items():
            started = time.process_time()
            step()
            best[name] = min(best[name], time.process_time() - started)
    return best


def _as_before(rules: Sequence[Any]) -> list[Any]:
    """The rules as the engine ran them before: one by one, no required-text shortcut."""
    return [dataclasses.replace(rule, required_text="") for rule in rules]


def run_size(song_count: int, *, baseline: bool) -> list[tuple[str, float | None, float, str]]:
    from django.db import connection

    from lyrics.cleaning.preview import preview_rule, rule_pair
    from lyrics.cleaning.rule_types import RuleKind, RuleSpec
    from lyrics.cleaning.rules import load_enabled_rules
    from lyrics.cleaning.splitter import clean_song_text
    from lyrics.cleaning.verses import clean_lyrics
    from lyrics.corpus_builder import build_corpus
    from lyrics.models import Song

    _fill(song_count, random.Random(song_count))
    raw = list(Song.objects.order_by("id").values_list("raw_lyrics", flat=True))
    rules = load_enabled_rules()
    rows: list[tuple[str, float | None, float, str]] = []

    old_rules = _as_before(rules)
    fused = [clean_song_text(text, rules) for text in raw]
    steps = {"after": lambda: [clean_song_text(text, rules) for text in raw]}
    if baseline:
        by_rule = [clean_song_text(text, old_rules) for text in raw]
        if [(c.verses, c.match_counts) for c in by_rule] != [
            (c.verses, c.match_counts) for c in fused
        ]:
            raise SystemExit("one pass and rule by rule gave different verses or counts")
        steps["before"] = lambda: [clean_song_text(text, old_rules) for text in raw]
    cpu = _cpu_best_of(steps, repeats=3 if song_count <= 240 else 1)
    after = cpu["after"]
    rows.append(
        (
            "clean (CPU s, all songs)",
            cpu.get("before"),
            after,
            f"{after / song_count * 1000:.2f} ms/song now",
        )
    )

    service, summary = _timed(lambda: clean_lyrics())
    note = f"{summary.verses_total} verses; CPU {_last_cpu:.2f} s"
    rows.append(("clean_lyrics (writes verses)", None, service, note))

    candidate = RuleSpec(
        name="bench: money to cash", pattern="money", replacement="cash", kind=RuleKind.REGEX
    )
    position = 500
    old_preview = None
    old_preview_cpu = 0.0
    if baseline:

        def preview_as_before() -> int:
            # What the preview did: each song cleaned twice, rule by rule.
            pair = rule_pair(candidate=candidate, position=position, rule_id=None)
            changed = 0
            for text in Song.objects.values_list("raw_lyrics", flat=True).iterator():
                without = clean_song_text(text, _as_before(pair.without)).verses
                with_rule = clean_song_text(text, _as_before(pair.with_candidate)).verses
                changed += without != with_rule
            return changed

        old_preview, _ = _timed(preview_as_before)
        old_preview_cpu = _last_cpu
    sampled, quick = _timed(
        lambda: preview_rule(candidate=candidate, position=position, time_budget=1.5)
    )
    rows.append(
        (
            "preview, first answer",
            old_preview,
            sampled,
            f"{quick.songs_scanned} of {quick.songs_total} songs",
        )
    )
    full_time, full = _timed(lambda: preview_rule(candidate=candidate, position=position))
    rows.append(
        (
            "preview, every song (background)",
            old_preview,
            full_time,
            f"{full.songs_changed} of {full.songs_scanned} changed"
            + (f"; CPU {old_preview_cpu:.1f} → {_last_cpu:.1f} s" if baseline else ""),
        )
    )

    output = Path(tempfile.mkdtemp(prefix="bench-corpus-")) / "corpus.txt"
    built_time, build = _timed(lambda: build_corpus(output=output))
    rows.append(("build corpus", None, built_time, f"{build.stats.char_count:,} characters"))
    connection.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[240, 2400])
    parser.add_argument(
        "--skip-baseline-above",
        type=int,
        default=2400,
        help="Skip the (slow) rule-by-rule baselines for larger sizes.",
    )
    options = parser.parse_args()
    database_url = _postgres_url()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-curation-") as folder:
            _setup_django(Path(folder), database_url)
            print(f"database: {'PostgreSQL' if database_url else 'SQLite'}; shared machine.")
            print("| songs | step | before (s) | after (s) | ratio | note |")
            print("| --- | --- | --- | --- | --- | --- |")
            for size in options.sizes:
                for step, before, after, note in run_size(
                    size, baseline=size <= options.skip_baseline_above
                ):
                    ratio = f"{before / after:.1f}x" if before else ""
                    before_text = f"{before:.2f}" if before else ""
                    print(
                        f"| {size:,} | {step} | {before_text} | {after:.2f} | {ratio} | {note} |",
                        flush=True,
                    )
    finally:
        if database_url:
            from django.db import connections

            connections.close_all()
            _drop_postgres(database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())

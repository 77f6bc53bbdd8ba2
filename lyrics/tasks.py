"""Celery doors into the lyrics services."""

from __future__ import annotations

from celery import shared_task

from lyrics.cleaning.preview_jobs import compute_and_store
from lyrics.cleaning.rule_types import RuleKind, RuleSpec
from lyrics.cleaning.verses import clean_lyrics
from lyrics.corpus_builder import build_corpus
from lyrics.selectors import CorpusStats, corpus_stats


@shared_task(name="lyrics.refresh_corpus_stats")
def refresh_corpus_stats() -> CorpusStats:
    """Compute the corpus statistics in a worker (the home page and admin show them)."""
    return corpus_stats()


@shared_task(name="lyrics.clean_lyrics")
def clean_lyrics_task(
    song_ids: list[int] | None = None, dedupe_repeats: bool = True
) -> dict[str, object]:
    """Re-run cleaning in a worker (the admin queues it); the service behind `clean_lyrics`."""
    return clean_lyrics(song_ids=song_ids, dedupe_repeats=dedupe_repeats).as_dict()


@shared_task(name="lyrics.build_corpus")
def build_corpus_task(
    augment: bool = False,
    seed: int | None = None,
    artist_names: list[str] | None = None,
    min_chars: int = 0,
) -> int:
    """Build a corpus in a worker and return the Corpus id; the service behind `build_corpus`."""
    build = build_corpus(
        augment=augment, seed=seed, artist_names=artist_names or (), min_chars=min_chars
    )
    if build.corpus is None:  # only a dry run returns no row
        raise RuntimeError("build_corpus recorded no corpus")
    return build.corpus.pk


@shared_task(name="lyrics.preview_rule")
def preview_rule_task(
    spec: dict[str, str], position: int, rule_id: int | None, key: str
) -> dict[str, int]:
    """A rule preview over every song, kept in the cache for the admin page that asked."""
    candidate = RuleSpec(**{**spec, "kind": RuleKind(spec["kind"])})
    preview = compute_and_store(candidate=candidate, position=position, rule_id=rule_id, key=key)
    return {"songs_scanned": preview.songs_scanned, "songs_changed": preview.songs_changed}

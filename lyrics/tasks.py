"""Celery doors into the lyrics services."""

from __future__ import annotations

from celery import shared_task

from lyrics.selectors import CorpusStats, corpus_stats


@shared_task(name="lyrics.refresh_corpus_stats")
def refresh_corpus_stats() -> CorpusStats:
    """Compute the corpus statistics in a worker (the home page and admin show them)."""
    return corpus_stats()

"""Reads about model versions for the API and the website."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.models import Prefetch, QuerySet

from generator.demo import DEMO_CORPUS
from generator.drafts import human_signals
from generator.ml.evaluation.table import SUMMARY_KEYS
from generator.models import ModelEvaluation, ModelVersion, TrainingRun
from generator.serving import PRETRAINED_NAME
from lyrics.corpus_size import corpus_distinct_chars, small_corpus_warning
from lyrics.models import Corpus


def _corpus_summary(corpus: Corpus | None) -> dict[str, Any] | None:
    if corpus is None:
        return None
    return {
        "id": corpus.pk,
        "verses": corpus.verse_count,
        "distinct_verses": corpus.source_verse_count,
        "characters": corpus.char_count,
        "lines": corpus.line_count,
        "augmented": corpus.augmented,
        "artists": sorted(corpus.artist_shares),
        "sha256": corpus.sha256,
    }


def evaluation_summary(evaluation: ModelEvaluation | None) -> dict[str, Any] | None:
    """A version's evaluation in short: the four summary measures, the model's and the
    corpus's (its held-out verses), and how the verses were written."""
    if evaluation is None:
        return None
    model, corpus = evaluation.model_row, evaluation.corpus_row
    return {
        "id": evaluation.pk,
        "created_at": evaluation.created_at,
        "verses": evaluation.settings.get("verses"),
        "first_seed": evaluation.settings.get("first_seed"),
        "model": {key: model.get(key) for key in SUMMARY_KEYS},
        "corpus": {key: corpus.get(key) for key in SUMMARY_KEYS},
    }


def with_latest_evaluation(versions: QuerySet[ModelVersion]) -> QuerySet[ModelVersion]:
    """Versions with `latest_evaluations` (newest first; the first is the latest): one query
    for all of them."""
    return versions.prefetch_related(
        Prefetch(
            "evaluations",
            queryset=ModelEvaluation.objects.defer("samples").order_by("-created_at", "-id"),
            to_attr="latest_evaluations",
        )
    )


def latest_evaluation(version: ModelVersion) -> ModelEvaluation | None:
    found = getattr(version, "latest_evaluations", None)
    if found is None:
        return version.evaluations.order_by("-created_at", "-id").first()
    return found[0] if found else None


def _pretrained_entry(*, active: bool) -> dict[str, Any]:
    return {
        "id": None,
        "name": PRETRAINED_NAME,
        "active": active,
        "source": "pretrained",
        "created_at": None,
        "corpus": None,
        "metrics": {},
        "evaluation": None,
        "writers": None,
    }


def model_list() -> dict[str, Any]:
    """Every model version (newest first) and the pretrained fallback, marking the served one."""
    versions = list(with_latest_evaluation(ModelVersion.objects.select_related("corpus")))
    active = next((version.pk for version in versions if version.is_active), None)
    writers = human_signals([version.pk for version in versions])
    entries = [
        {
            "id": version.pk,
            "name": version.name,
            "active": version.is_active,
            "source": version.source,
            "created_at": version.created_at,
            "corpus": _corpus_summary(version.corpus),
            "metrics": version.metrics,
            "evaluation": evaluation_summary(latest_evaluation(version)),
            "writers": writers[version.pk].as_dict(),
        }
        for version in versions
    ]
    entries.append(_pretrained_entry(active=active is None))
    return {"active": active, "models": entries}


def _trained_from(run: TrainingRun | None) -> str | None:
    """In words, the corpus file a run read when it was not a recorded Corpus."""
    if run is None or not run.corpus_file:
        return None
    path = Path(run.corpus_file)
    if path.resolve() == DEMO_CORPUS:
        return "the demo corpus shipped with RapLyrics: original verses written for the project"
    return f"the corpus file {path.name}"


def active_model_summary() -> dict[str, Any]:
    """What the website's about section says: the served model and what it learned from."""
    version = (
        ModelVersion.objects.select_related("corpus", "training_run").filter(is_active=True).first()
    )
    if version is None:
        return {
            "name": PRETRAINED_NAME,
            "pretrained": True,
            "trained_on": None,
            "trained_from": None,
            "created_at": None,
            "metrics": {},
            "size_warning": None,
        }
    return {
        "name": version.name,
        "pretrained": False,
        "trained_on": _corpus_summary(version.corpus),
        "trained_from": None if version.corpus else _trained_from(version.training_run),
        "created_at": version.created_at,
        "metrics": version.metrics,
        "size_warning": _size_warning(version),
    }


def _size_warning(version: ModelVersion) -> str | None:
    """Whether the version learned from a corpus too small to train anything good: its
    distinct characters as recorded at training (`corpus_chars`), or its corpus row's."""
    chars = version.metrics.get("corpus_chars")
    if isinstance(chars, int) and not isinstance(chars, bool):
        return small_corpus_warning(chars)
    if version.corpus is not None:
        return small_corpus_warning(corpus_distinct_chars(version.corpus))
    return None


def training_progress(run: TrainingRun) -> dict[str, Any]:
    """Where a run stands, for the admin's live progress (polled as JSON)."""
    progress = run.progress or {}
    facts = {
        "id": run.pk,
        "status": run.status,
        "epochs_done": run.epochs_done,
        "epochs": run.epochs,
        "epoch": progress.get("epoch"),
        "batch": progress.get("batch"),
        "batches": progress.get("batches"),
        "windows_per_second": progress.get("windows_per_second"),
        "eta_seconds": progress.get("eta_seconds"),
        "stop_requested": run.stop_requested_at is not None,
        "best_epoch": run.best_epoch,
        "stop_reason": run.stop_reason,
        # With patience the run may stop before its planned epochs: the time left is a bound.
        "may_stop_early": run.may_stop_early,
    }
    return {**facts, "summary": describe_progress(facts)}


def describe_progress(progress: dict[str, Any]) -> str:
    """One line saying where a run stands (the admin shows it and its script refreshes it)."""
    status = str(progress["status"])
    if status not in TrainingRun.ACTIVE_STATUSES:
        reason = f": {progress['stop_reason']}" if progress["stop_reason"] else ""
        best = f", kept epoch {progress['best_epoch']}" if progress["best_epoch"] else ""
        return f"{status}, {progress['epochs_done']}/{progress['epochs']} epochs{best}{reason}"
    if progress["epoch"] is None:
        line = f"{status}, waiting for its first batch"
    else:
        line = (
            f"epoch {progress['epoch']}/{progress['epochs']}, "
            f"batch {progress['batch']}/{progress['batches']}"
        )
        if progress["windows_per_second"] is not None:
            line += f", {progress['windows_per_second']:,.0f} windows/s"
        if progress["eta_seconds"] is not None:
            bound = "at most " if progress["may_stop_early"] else ""
            line += f", {bound}about {_duration(progress['eta_seconds'])} left"
    if progress["stop_requested"]:
        line += "; stop requested (checkpoint at the next batch)"
    return line


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{round(seconds)} s"
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h"

"""A run's files in artifact storage: its corpus copy and its checkpoints.

Every checkpoint is uploaded as soon as it is written (`store_checkpoint`, the session's upload
step) under `runs/<id>/`, so a run can be resumed on any machine from storage alone: the newest
checkpoint that verifies (`newest_good_checkpoint`) and the corpus copy uploaded at the start
(`read_run_corpus`). Checkpoint names and their order are generator/ml/checkpoint.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.artifacts import ArtifactStore, ArtifactStoreError
from generator.ml.checkpoint import (
    CheckpointError,
    checkpoint_filename,
    checkpoint_position,
    load_checkpoint,
)
from generator.ml.config import MLError
from generator.ml.fit import EpochMetrics, EpochReport, TrainingState, resume_training
from generator.models import TrainingRun
from generator.training.corpus_text import CorpusText, read_corpus
from generator.training.errors import TrainingRequestError, TrainingRunError

CORPUS_KEY_NAME = "corpus.txt"


def store_corpus(run: TrainingRun, *, store: ArtifactStore) -> None:
    """Upload the run's corpus file, for a resume on a machine that lacks it."""
    store.put_file(Path(run.corpus_file), run.artifact_prefix + CORPUS_KEY_NAME)


def read_run_corpus(run: TrainingRun, *, store: ArtifactStore, work_dir: Path) -> CorpusText:
    """The run's corpus: the local file if it is the one trained on, else the stored copy."""
    local = Path(run.corpus_file)
    if local.is_file():
        text = read_corpus(local)
        if text.sha256 == run.corpus_sha256:
            return text
    key = run.artifact_prefix + CORPUS_KEY_NAME
    if not store.exists(key):
        raise TrainingRunError(
            f"corpus file {local} is missing or changed (sha256 differs from the run's) and "
            "storage has no copy of it"
        )
    copy = work_dir / CORPUS_KEY_NAME
    store.get_file(key, copy)
    text = read_corpus(copy)
    if text.sha256 != run.corpus_sha256:
        raise TrainingRunError(f"the stored corpus copy {key} does not match the run's sha256")
    return text


def store_checkpoint(
    run: TrainingRun, report: EpochReport, *, store: ArtifactStore, wall_seconds: float
) -> str:
    """Upload the checkpoint `fit` just wrote and record it on the run; returns its key.

    Once storage confirms it, older local checkpoints are deleted (they are no longer the only
    copy of anything); when storage gives up, the local copy is kept and the run fails.
    """
    key = run.artifact_prefix + report.checkpoint_path.name
    try:
        store.put_file(report.checkpoint_path, key)
    except ArtifactStoreError as exc:
        raise TrainingRunError(
            f"checkpoint {report.checkpoint_path.name} could not be stored ({exc}); the "
            f"local copy is kept at {report.checkpoint_path}"
        ) from None
    for older in report.checkpoint_path.parent.glob("*.ckpt"):
        if older != report.checkpoint_path:
            older.unlink(missing_ok=True)
    run.record_checkpoint(
        key,
        epochs_done=report.epoch,
        wall_seconds=wall_seconds,
        metrics_row=metrics_row(report.metrics) if report.metrics is not None else None,
        windows_per_second=report.metrics.windows_per_second if report.metrics else None,
    )
    return key


def metrics_row(metrics: EpochMetrics) -> dict[str, Any]:
    """An epoch as the run records it: the keys the admin's loss chart reads (loss, val_loss),
    plus the rest of the epoch."""
    return {
        "epoch": metrics.epoch,
        "loss": metrics.train_loss,
        "val_loss": metrics.validation_loss,
        "windows_per_second": metrics.windows_per_second,
        "seconds": metrics.seconds,
        "learning_rate": metrics.learning_rate,
        "windows": metrics.windows,
    }


def require_every_epoch_stored(run: TrainingRun, *, store: ArtifactStore, epochs: int) -> None:
    stored = {checkpoint_position(key) for key in store.list(run.artifact_prefix)}
    missing = [epoch for epoch in range(1, epochs + 1) if (epoch, 0) not in stored]
    if missing:
        names = ", ".join(checkpoint_filename(epoch) for epoch in missing)
        raise TrainingRunError(f"run #{run.pk} cannot be done: storage lacks {names}")


def best_epoch_state(
    run: TrainingRun,
    state: TrainingState,
    best_epoch: int | None,
    *,
    store: ArtifactStore,
    work_dir: Path,
) -> TrainingState:
    """The state to register: the best epoch's, from its stored checkpoint when it is not the
    last (every epoch's checkpoint is in storage: `require_every_epoch_stored`)."""
    if best_epoch is None or best_epoch == state.epoch:
        return state
    key = run.artifact_prefix + checkpoint_filename(best_epoch)
    local = work_dir / "fetched" / checkpoint_filename(best_epoch)
    store.get_file(key, local)
    return resume_training(load_checkpoint(local))


def newest_good_checkpoint(
    run: TrainingRun,
    *,
    store: ArtifactStore,
    work_dir: Path,
    warn: Callable[[str], None],
    epochs: int | None,
) -> TrainingState:
    """The state of the newest stored checkpoint that verifies and rebuilds; one that does not
    is skipped with a warning for the one before it."""
    keyed = [
        (position, key)
        for key in store.list(run.artifact_prefix)
        if (position := checkpoint_position(key))
    ]
    if not keyed:
        raise TrainingRequestError(
            f"run #{run.pk} has no checkpoint in storage under "
            f"{store.uri(run.artifact_prefix.rstrip('/'))}"
        )
    fetched_dir = work_dir / "fetched"
    for _position, key in sorted(keyed, reverse=True):
        local = fetched_dir / key.rsplit("/", 1)[-1]
        store.get_file(key, local)
        try:
            checkpoint = load_checkpoint(local)
        except CheckpointError as exc:
            local.unlink(missing_ok=True)
            warn(f"skipping {key}: {exc}; trying the previous checkpoint")
            continue
        try:
            return resume_training(checkpoint, epochs=epochs)
        except MLError as exc:
            warn(f"skipping {key}: {exc}; trying the previous checkpoint")
    raise TrainingRequestError(f"run #{run.pk} has no usable checkpoint in storage")

"""Running a training run: train (or resume) it, store every checkpoint, register the result.

One session of a run is `_train_session`: mark the run running, fit epoch by epoch, upload each
checkpoint as soon as it is written (the local copy is kept until the store confirms it), record
the epoch's metrics, and at the end export the textgenrnn trio plus the corpus line index and
register a ModelVersion. A stop request (SIGTERM) ends the session at the next batch boundary
with a mid-epoch checkpoint uploaded and the run marked interrupted; any failure marks it failed
with a one-line reason. `resume_training_run` starts a new session on any machine from the newest
checkpoint in storage that verifies.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import math
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from generator.artifacts import ArtifactStore, ArtifactStoreError, store_from_settings
from generator.ml.checkpoint import CheckpointError, load_checkpoint
from generator.ml.config import MLError, ModelConfig
from generator.ml.dataset import DatasetSplit, make_windows
from generator.ml.lyrics_writer import LineShape
from generator.ml.originality import CorpusLineIndex
from generator.ml.training import (
    EpochMetrics,
    EpochReport,
    StopFlag,
    TrainingConfig,
    TrainingState,
    checkpoint_filename,
    configure_cpu_threads,
    fit,
    new_model,
    resume_training,
    start_training,
    training_windows,
    unroll_for_training,
)
from generator.ml.verses import loaded_for_texts, text_kind_of
from generator.ml.vocab import Vocabulary
from generator.ml.weights import load_pretrained, save_textgenrnn
from generator.model_versions import ModelFiles, ModelVersionError, register_model_version
from generator.models import ModelVersion, TrainingRun
from generator.serving import LINE_SHAPE_METRIC
from generator.training.corpus_text import (
    CorpusText,
    CorpusTextError,
    lines_of,
    read_corpus,
    training_texts,
    vocabulary_texts,
)
from generator.training.errors import TrainingRequestError, TrainingRunError
from lyrics.corpus_size import distinct_chars

logger = logging.getLogger(__name__)

CORPUS_KEY_NAME = "corpus.txt"
# Progress (and a stop asked for from the admin) is written/read at most this often.
PROGRESS_EVERY_S = 5.0
_CHECKPOINT_RE = re.compile(r"epoch-(\d{4,})(?:-batch-(\d{6,}))?\.ckpt$")
# Failures that end a run with a readable one-line reason (anything else is a bug: re-raised).
_EXPECTED_FAILURES = (
    MLError,
    ArtifactStoreError,
    ModelVersionError,
    CorpusTextError,
    TrainingRunError,
)


@dataclass(frozen=True)
class SessionStarted:
    run_id: int
    device: str
    epoch: int  # completed epochs when the session starts
    batches_done: int  # batches of the next epoch already trained (a mid-epoch resume)
    epochs: int
    batches_per_epoch: int
    batch_size: int
    train_windows: int
    validation_windows: int
    unknown_tokens: int  # corpus tokens the vocabulary lacks (left out, as textgenrnn did)


@dataclass(frozen=True)
class CheckpointStored:
    epoch: int  # completed epochs
    epochs: int
    batches_done: int  # > 0 for a mid-epoch (interruption) checkpoint
    key: str
    metrics: EpochMetrics | None


@dataclass
class TrainingListener:
    """Optional hooks for a door that shows progress (the command's progress bar)."""

    on_start: Callable[[SessionStarted], None] | None = None
    on_batch: Callable[[int, int], None] | None = None
    on_checkpoint: Callable[[CheckpointStored], None] | None = None
    on_warning: Callable[[str], None] | None = None

    def warn(self, message: str) -> None:
        logger.warning("%s", message)
        if self.on_warning is not None:
            self.on_warning(message)


@dataclass(frozen=True)
class RunOutcome:
    run: TrainingRun
    version: ModelVersion | None  # registered when the run is done
    message: str  # one line: what happened and what to do next
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.run.status)


# -- doors -----------------------------------------------------------------------------------


def run_training(
    run_id: int,
    *,
    stop: StopFlag | None = None,
    store: ArtifactStore | None = None,
    work_dir: Path | None = None,
    listener: TrainingListener | None = None,
    activate: bool = False,
    version_name: str | None = None,
) -> RunOutcome:
    """Train a queued run from the pretrained network (or a new one) to its epochs."""
    run = _get_run(run_id)
    if run.status != TrainingRun.Status.QUEUED:
        raise TrainingRequestError(
            f"run #{run.pk} is {run.status}, not queued; "
            + (
                f"resume it with: manage.py train --resume {run.pk}"
                if run.status in (TrainingRun.Status.INTERRUPTED, TrainingRun.Status.FAILED)
                else "there is nothing to start"
            )
        )
    store = store or store_from_settings(settings)
    listener = listener or TrainingListener()
    work_dir = Path(work_dir) if work_dir is not None else run.work_dir
    _mark_running(run, allowed=(TrainingRun.Status.QUEUED,))
    _configure_threads()
    with _failures_recorded(run):
        text = read_run_corpus(run, store=store, work_dir=work_dir)
        store.put_file(Path(run.corpus_file), run.artifact_prefix + CORPUS_KEY_NAME)
        state = _fresh_state(run, text)
        return _train_session(
            run,
            state,
            text,
            store=store,
            work_dir=work_dir,
            stop=stop,
            listener=listener,
            activate=activate,
            version_name=version_name,
            warnings=[],
        )


def resume_training_run(
    run_id: int,
    *,
    epochs: int | None = None,
    stop: StopFlag | None = None,
    store: ArtifactStore | None = None,
    work_dir: Path | None = None,
    listener: TrainingListener | None = None,
    activate: bool = False,
    version_name: str | None = None,
) -> RunOutcome:
    """Continue an interrupted (or failed) run from its newest good checkpoint in storage.

    Needs nothing local: the checkpoint and, if the corpus file is not here, the copy of the
    corpus uploaded at the start are fetched from the store. A checkpoint that fails its
    checksum is skipped with a warning for the one before it.
    """
    run = _get_run(run_id)
    if run.status == TrainingRun.Status.QUEUED:
        return run_training(
            run_id,
            stop=stop,
            store=store,
            work_dir=work_dir,
            listener=listener,
            activate=activate,
            version_name=version_name,
        )
    if run.status == TrainingRun.Status.RUNNING and not run.is_silent:
        raise TrainingRequestError(
            f"run #{run.pk} is running on {run.host or 'another host'} (last heard from "
            f"{_seconds_since(run.updated_at)} s ago); stop it (SIGTERM) before resuming it, "
            f"or resume it once it has been silent for {settings.TRAINING_SILENT_AFTER_S} s"
        )
    if run.status == TrainingRun.Status.DONE:
        raise TrainingRequestError(f"run #{run.pk} is already done")
    if epochs is not None and epochs < 1:
        raise TrainingRequestError(f"epochs must be at least 1, got {epochs}")
    store = store or store_from_settings(settings)
    listener = listener or TrainingListener()
    work_dir = Path(work_dir) if work_dir is not None else run.work_dir
    warnings: list[str] = []
    _configure_threads()

    def warn(message: str) -> None:
        warnings.append(message)
        listener.warn(message)

    try:
        state = _newest_good_checkpoint(
            run, store=store, work_dir=work_dir, warn=warn, epochs=epochs
        )
    except ArtifactStoreError as exc:
        raise TrainingRequestError(f"cannot read run #{run.pk}'s checkpoints: {exc}") from None
    _mark_running(
        run,
        allowed=(TrainingRun.Status.INTERRUPTED, TrainingRun.Status.FAILED),
        or_silent=True,
    )
    with _failures_recorded(run):
        text = read_run_corpus(run, store=store, work_dir=work_dir)
        run.epochs = state.training.epochs
        run.epochs_done = state.epoch
        run.epoch_metrics = [_metrics_row(m) for m in state.metrics]
        run.error = ""
        # Resuming is the answer to an earlier stop: that request is spent.
        run.stop_requested_at = None
        run.save(
            update_fields=[
                "epochs",
                "epochs_done",
                "epoch_metrics",
                "error",
                "stop_requested_at",
                "updated_at",
            ]
        )
        return _train_session(
            run,
            state,
            text,
            store=store,
            work_dir=work_dir,
            stop=stop,
            listener=listener,
            activate=activate,
            version_name=version_name,
            warnings=warnings,
        )


def _configure_threads() -> None:
    """Training's CPU thread pools, if TensorFlow has not started in this process yet (it has
    in a process that served or trained before, which then keeps its pools)."""
    if not configure_cpu_threads(
        intra_op=settings.TRAINING_INTRA_OP_THREADS, inter_op=settings.TRAINING_INTER_OP_THREADS
    ):
        logger.debug("training keeps this process's TensorFlow thread pools")


class _Heartbeat:
    """Called after every batch: refreshes the run's heartbeat and progress, and turns a stop
    asked for from the admin into the session's stop request.

    At most every `interval` seconds (and at the first batch) it writes the run's updated_at
    (others tell a live run from a vanished one by it, see TrainingRun.is_silent) and its
    progress (epoch, batch, windows/s, ETA), and reads stop_requested_at.
    """

    def __init__(
        self,
        run: TrainingRun,
        state: TrainingState,
        *,
        stop: StopFlag,
        on_batch: Callable[[int, int], None] | None,
        batch_size: int,
    ) -> None:
        self.run, self.state, self.stop, self.on_batch = run, state, stop, on_batch
        self.batch_size = batch_size
        self.interval = min(float(settings.TRAINING_HEARTBEAT_S), PROGRESS_EVERY_S)
        self.last_write = -math.inf
        self.started = time.monotonic()
        self.first_batch: int | None = None  # the batch count when this session's clock started
        self.epochs_at_start = state.epoch

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.first_batch is None:
            self.first_batch, self.started = done - 1, now
        if now - self.last_write >= self.interval:
            self.last_write = now
            self._write(done, total, now)
        if self.on_batch is not None:
            self.on_batch(done, total)

    def _write(self, done: int, total: int, now: float) -> None:
        assert self.first_batch is not None
        # Batches trained in this session so far, across epochs.
        batches = (self.state.epoch - self.epochs_at_start) * total + done - self.first_batch
        # The clock starts at the end of this session's first batch (tracing excluded): the
        # rate is unknown until a later batch.
        elapsed = now - self.started
        per_second = (batches - 1) / elapsed if batches > 1 and elapsed > 0 else None
        remaining = (self.state.training.epochs - self.state.epoch) * total - done
        progress = {
            "epoch": self.state.epoch + 1,
            "epochs": self.state.training.epochs,
            "batch": done,
            "batches": total,
            "windows_per_second": round(per_second * self.batch_size, 1) if per_second else None,
            "eta_seconds": round(remaining / per_second) if per_second else None,
        }
        TrainingRun.objects.filter(pk=self.run.pk).update(
            updated_at=timezone.now(), progress=progress
        )
        asked = (
            TrainingRun.objects.filter(pk=self.run.pk)
            .values_list("stop_requested_at", flat=True)
            .first()
        )
        if asked is not None and not self.stop.requested:
            logger.info("run #%s: stop asked for at %s", self.run.pk, asked)
            self.stop.request()


def training_device() -> str:
    """ "GPU" when the Keras backend sees one, else "CPU"."""
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            return "GPU" if any(d.platform == "gpu" for d in jax.devices()) else "CPU"
        if backend == "tensorflow":
            import tensorflow as tf

            return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
        if backend == "torch":
            import torch

            return "GPU" if torch.cuda.is_available() else "CPU"
    except RuntimeError:  # a backend with no usable device list answers CPU
        return "CPU"
    return "CPU"


def checkpoint_position(key: str) -> tuple[int, int] | None:
    """(completed epochs, batches of the next epoch) of a checkpoint key, None if not one.

    `epoch-0002-batch-000017.ckpt` is newer than `epoch-0002.ckpt` though it sorts before it
    as a string, so keys are ordered by this instead.
    """
    match = _CHECKPOINT_RE.search(key.rsplit("/", 1)[-1])
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


# -- a session -------------------------------------------------------------------------------


def _train_session(
    run: TrainingRun,
    state: TrainingState,
    text: CorpusText,
    *,
    store: ArtifactStore,
    work_dir: Path,
    stop: StopFlag | None,
    listener: TrainingListener,
    activate: bool,
    version_name: str | None,
    warnings: list[str],
) -> RunOutcome:
    dataset = _dataset(state, text)
    stop = stop or StopFlag()
    batch_size = min(state.training.batch_size, len(dataset.train))
    per_epoch = max(len(dataset.train) // batch_size, 1)
    if listener.on_start is not None:
        listener.on_start(
            SessionStarted(
                run_id=run.pk,
                device=run.device,
                epoch=state.epoch,
                batches_done=state.batches_done,
                epochs=state.training.epochs,
                batches_per_epoch=per_epoch,
                batch_size=batch_size,
                train_windows=len(dataset.train),
                validation_windows=len(dataset.validation),
                unknown_tokens=sum(dataset.train.unknown_tokens.values())
                + sum(dataset.validation.unknown_tokens.values()),
            )
        )
    checkpoint_dir = work_dir / "checkpoints"
    session_started = time.monotonic()
    wall_before = run.wall_seconds

    def store_checkpoint(report: EpochReport) -> None:
        key = run.artifact_prefix + report.checkpoint_path.name
        try:
            store.put_file(report.checkpoint_path, key)
        except ArtifactStoreError as exc:
            raise TrainingRunError(
                f"checkpoint {report.checkpoint_path.name} could not be stored ({exc}); the "
                f"local copy is kept at {report.checkpoint_path}"
            ) from None
        # Confirmed in storage: older local checkpoints are no longer the only copy of anything.
        for older in checkpoint_dir.glob("*.ckpt"):
            if older != report.checkpoint_path:
                older.unlink(missing_ok=True)
        _record_checkpoint(
            run, report, key, wall_seconds=wall_before + time.monotonic() - session_started
        )
        if listener.on_checkpoint is not None:
            listener.on_checkpoint(
                CheckpointStored(
                    epoch=report.epoch,
                    epochs=state.training.epochs,
                    batches_done=report.batches_done,
                    key=key,
                    metrics=report.metrics,
                )
            )

    result = fit(
        state,
        dataset,
        checkpoint_dir=checkpoint_dir,
        on_epoch_end=store_checkpoint,
        stop=stop,
        on_batch=_Heartbeat(
            run, state, stop=stop, on_batch=listener.on_batch, batch_size=batch_size
        ),
    )
    run.wall_seconds = wall_before + time.monotonic() - session_started
    run.stop_reason = result.stop_reason
    run.progress = {}
    if result.status == "interrupted":
        run.status = TrainingRun.Status.INTERRUPTED
        run.finished_at = timezone.now()
        run.save(
            update_fields=[
                "status",
                "wall_seconds",
                "finished_at",
                "stop_reason",
                "progress",
                "updated_at",
            ]
        )
        where = (
            f"epoch {state.epoch + 1}, batch {state.batches_done}"
            if state.batches_done
            else f"the end of epoch {state.epoch}"
        )
        return RunOutcome(
            run=run,
            version=None,
            message=(
                f"run #{run.pk} interrupted at {where}; its checkpoint is stored; "
                f"resume it on any machine with: python manage.py train --resume {run.pk}"
            ),
            warnings=warnings,
        )
    _require_every_epoch_stored(run, store=store, epochs=state.epoch)
    best = _best_epoch_state(run, state, result.best_epoch, store=store, work_dir=work_dir)
    version = _export_and_register(
        run,
        best,
        text,
        work_dir=work_dir,
        activate=activate or run.activate_when_done,
        name=version_name or f"run-{run.pk}",
        stop_reason=result.stop_reason,
    )
    run.status = TrainingRun.Status.DONE
    run.best_epoch = best.epoch
    run.finished_at = timezone.now()
    run.save(
        update_fields=[
            "status",
            "wall_seconds",
            "finished_at",
            "best_epoch",
            "stop_reason",
            "progress",
            "updated_at",
        ]
    )
    evaluated = _evaluate(version)
    kept = best.metrics[-1] if best.metrics else None
    loss = f"loss {kept.train_loss:.3f}" if kept else "no epoch trained"
    if kept is not None and kept.validation_loss is not None:
        loss += f", validation loss {kept.validation_loss:.3f}"
    return RunOutcome(
        run=run,
        version=version,
        message=(
            f"run #{run.pk} done: {state.epoch} epochs ({result.stop_reason}); kept epoch "
            f"{best.epoch}: {loss}, {run.wall_seconds:.0f} s on {run.device}; "
            f"model version {version.name!r}"
            + (" (active)" if version.is_active else "")
            + (f"; {evaluated}" if evaluated else "")
        ),
        warnings=warnings,
    )


def _evaluate(version: ModelVersion) -> str | None:
    """The registered version's evaluation (generator/evaluation.py), in one line."""
    from generator.evaluation import evaluate_after_training  # it reads runs' corpora from here

    return evaluate_after_training(version)


def _best_epoch_state(
    run: TrainingRun,
    state: TrainingState,
    best_epoch: int | None,
    *,
    store: ArtifactStore,
    work_dir: Path,
) -> TrainingState:
    """The state to register: the best epoch's, from its stored checkpoint when it is not the
    last (every epoch's checkpoint is in storage; `_require_every_epoch_stored`)."""
    if best_epoch is None or best_epoch == state.epoch:
        return state
    key = run.artifact_prefix + checkpoint_filename(best_epoch)
    local = work_dir / "fetched" / checkpoint_filename(best_epoch)
    store.get_file(key, local)
    return resume_training(load_checkpoint(local))


def _fresh_state(run: TrainingRun, text: CorpusText) -> TrainingState:
    config = ModelConfig.from_dict(run.hyperparameters["model"])
    training = TrainingConfig.from_dict(run.hyperparameters["training"])
    if run.from_pretrained:
        loaded = load_pretrained(
            dropout=training.dropout, seed=training.seed, unroll=unroll_for_training()
        )
        loaded = loaded_for_texts(  # verse texts: the newline token added (ml/verses.py)
            loaded,
            run.texts,
            dropout=training.dropout,
            seed=training.seed,
            unroll=unroll_for_training(),
        )
        # The pretrained weights fit any window length; only max_length may differ.
        model_config = ModelConfig.from_dict(
            {**loaded.config.to_dict(), "max_length": config.max_length}
        )
        if model_config.max_length != loaded.config.max_length:
            model = _rebuilt_for_length(loaded.model, model_config, loaded.vocabulary, training)
        else:
            model = loaded.model
        return start_training(
            model, vocabulary=loaded.vocabulary, config=model_config, training=training
        )
    vocabulary = Vocabulary.build(
        vocabulary_texts(text.verses, kind=run.texts),
        word_level=config.word_level,
        max_words=config.max_words,
    )
    model = new_model(config, vocabulary, training=training)
    return start_training(model, vocabulary=vocabulary, config=config, training=training)


def _rebuilt_for_length(
    pretrained: keras.Model, config: ModelConfig, vocabulary: Vocabulary, training: TrainingConfig
) -> keras.Model:
    from generator.ml.network import build_model

    model = build_model(
        config,
        vocabulary.num_classes,
        dropout=training.dropout,
        seed=training.seed,
        unroll=unroll_for_training(),
    )
    by_name = {layer.name: layer for layer in pretrained.layers}
    for layer in model.layers:
        weights = by_name[layer.name].get_weights() if layer.name in by_name else []
        if weights:
            layer.set_weights(weights)
    return model


def _dataset(state: TrainingState, text: CorpusText) -> DatasetSplit:
    train_lines, validation_lines = training_texts(
        text.verses,
        kind=text_kind_of(state.vocabulary),  # a verse model's vocabulary has the newline
        validation_split=state.training.validation_split,
        seed=state.training.seed,
    )
    train = training_windows(
        train_lines, vocabulary=state.vocabulary, config=state.config, training=state.training
    )
    if len(train) == 0:
        raise TrainingRunError("the corpus makes no training windows with this vocabulary")
    validation = make_windows(validation_lines, vocabulary=state.vocabulary, config=state.config)
    return DatasetSplit(train=train, validation=validation)


def _record_checkpoint(
    run: TrainingRun, report: EpochReport, key: str, *, wall_seconds: float
) -> None:
    if key not in run.checkpoint_keys:
        run.checkpoint_keys = [*run.checkpoint_keys, key]
    run.epochs_done = report.epoch
    run.wall_seconds = wall_seconds
    fields = ["checkpoint_keys", "epochs_done", "wall_seconds", "updated_at"]
    if report.metrics is not None:
        rows = [row for row in run.epoch_metrics if row.get("epoch") != report.metrics.epoch]
        run.epoch_metrics = [*rows, _metrics_row(report.metrics)]
        run.windows_per_second = report.metrics.windows_per_second
        fields += ["epoch_metrics", "windows_per_second"]
    run.save(update_fields=fields)


def _metrics_row(metrics: EpochMetrics) -> dict[str, Any]:
    # The keys the admin's loss chart reads (loss, val_loss), plus the rest of the epoch.
    return {
        "epoch": metrics.epoch,
        "loss": metrics.train_loss,
        "val_loss": metrics.validation_loss,
        "windows_per_second": metrics.windows_per_second,
        "seconds": metrics.seconds,
        "learning_rate": metrics.learning_rate,
        "windows": metrics.windows,
    }


def _require_every_epoch_stored(run: TrainingRun, *, store: ArtifactStore, epochs: int) -> None:
    stored = {checkpoint_position(key) for key in store.list(run.artifact_prefix)}
    missing = [epoch for epoch in range(1, epochs + 1) if (epoch, 0) not in stored]
    if missing:
        names = ", ".join(f"epoch-{epoch:04d}.ckpt" for epoch in missing)
        raise TrainingRunError(f"run #{run.pk} cannot be done: storage lacks {names}")


def _export_and_register(
    run: TrainingRun,
    state: TrainingState,
    text: CorpusText,
    *,
    work_dir: Path,
    activate: bool,
    name: str,
    stop_reason: str,
) -> ModelVersion:
    export_dir = work_dir / "export"
    files = save_textgenrnn(
        state.model,
        vocabulary=state.vocabulary,
        config=state.config,
        directory=export_dir,
        name=name,
    )
    assert files.config is not None
    index_path = export_dir / f"{name}_line_index.npz"
    CorpusLineIndex.from_texts(text.verses).save(index_path)
    last = state.metrics[-1] if state.metrics else None
    metrics: dict[str, Any] = {
        "epochs": state.epoch,
        "epochs_trained": run.epochs_done,
        "stop_reason": stop_reason,
        "objective": state.training.objective,
        "texts": text_kind_of(state.vocabulary),
        "corpus_chars": distinct_chars(text.verses),  # the site warns below SMALL_CORPUS_CHARS
        "loss": last.train_loss if last else None,
        "val_loss": last.validation_loss if last else None,
        "windows_per_second": run.windows_per_second,
        "wall_seconds": run.wall_seconds,
        "device": run.device,
    }
    shape = LineShape.of_lines(lines_of(text.verses))
    if shape is not None:
        # The lyrics writer scores a line's length against these (generator.serving).
        metrics[LINE_SHAPE_METRIC] = shape.as_dict()
    return register_model_version(
        name=name,
        files=ModelFiles(
            weights=files.weights, vocab=files.vocab, config=files.config, line_index=index_path
        ),
        source=ModelVersion.Source.TRAINED,
        corpus=run.corpus,
        training_run=run,
        metrics=metrics,
        activate=activate,
    )


# -- resuming --------------------------------------------------------------------------------


def _newest_good_checkpoint(
    run: TrainingRun,
    *,
    store: ArtifactStore,
    work_dir: Path,
    warn: Callable[[str], None],
    epochs: int | None,
) -> TrainingState:
    keyed = [
        (position, key)
        for key in store.list(run.artifact_prefix)
        if (position := checkpoint_position(key))
    ]
    if not keyed:
        raise TrainingRequestError(
            f"run #{run.pk} has no checkpoint in storage under {store.uri(run.artifact_prefix)}"
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


# -- the run row -----------------------------------------------------------------------------


def _get_run(run_id: int) -> TrainingRun:
    run = TrainingRun.objects.select_related("corpus").filter(pk=run_id).first()
    if run is None:
        raise TrainingRequestError(f"training run #{run_id} does not exist")
    return run


def _seconds_since(moment: datetime.datetime) -> int:
    return max(int((timezone.now() - moment).total_seconds()), 0)


def _mark_running(run: TrainingRun, *, allowed: tuple[str, ...], or_silent: bool = False) -> None:
    """Claim the run atomically: two workers handed the same run cannot both train it (nor
    two workers taking over the same silent run)."""
    now = timezone.now()
    host, device = socket.gethostname(), training_device()
    claimable = Q(status__in=allowed)
    if or_silent:
        silent_before = TrainingRun.silent_before()
        claimable |= Q(status=TrainingRun.Status.RUNNING, updated_at__lt=silent_before)
    try:
        claimed = TrainingRun.objects.filter(claimable, pk=run.pk).update(
            status=TrainingRun.Status.RUNNING,
            host=host,
            device=device,
            started_at=now,
            finished_at=None,
            error="",
            updated_at=now,
        )
    except IntegrityError:
        raise TrainingRequestError(
            f"corpus #{run.corpus_id} already has an active training run; wait for it to finish"
        ) from None
    if not claimed:
        run.refresh_from_db()
        raise TrainingRequestError(f"run #{run.pk} is {run.status}; it cannot be started now")
    run.refresh_from_db()


@contextlib.contextmanager
def _failures_recorded(run: TrainingRun) -> Iterator[None]:
    """Mark the run failed with a one-line reason when the block raises.

    Expected failures (storage, corrupt files, bad models) become one TrainingRunError line;
    anything else is a bug: recorded, then re-raised with its traceback.
    """
    try:
        yield
    except _EXPECTED_FAILURES as error:
        reason = _one_line(error)
        _mark_failed(run, reason)
        raise TrainingRunError(f"run #{run.pk} failed: {reason}") from None
    except BaseException as error:
        _mark_failed(run, f"{type(error).__name__}: {_one_line(error)}")
        raise


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _mark_failed(run: TrainingRun, reason: str) -> None:
    run.status = TrainingRun.Status.FAILED
    run.error = reason
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "updated_at"])

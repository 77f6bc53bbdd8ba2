"""Training a run: one entry, `start_or_resume_run`, that trains a run from where it stands
through one session and says in one line what happened.

A queued run starts from textgenrnn's pretrained network (or a new one); an interrupted,
failed or silent one resumes on any machine from its newest stored checkpoint that verifies
(one that stopped before storing any starts over). A
session claims the run (`TrainingRun.claim`), fits epoch by epoch (generator/ml/fit.py),
uploads each checkpoint as soon as it is written (`stored.store_checkpoint`), beats a heartbeat
(heartbeat.py), and at the end registers the best epoch's model (registering.py). A stop
request (SIGTERM, the admin's Stop) ends it at the next batch boundary with a mid-epoch
checkpoint stored and the run marked interrupted; any failure marks it failed with a one-line
reason.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from generator.artifacts import ArtifactStore, ArtifactStoreError, store_from_settings
from generator.ml.backend import configure_cpu_threads, training_device
from generator.ml.config import MLError, ModelConfig
from generator.ml.fit import (
    EpochReport,
    FitResult,
    StopFlag,
    TrainingConfig,
    TrainingState,
    batches_per_epoch,
    fit,
    initial_state,
    training_dataset,
)
from generator.ml.verses import text_kind_of
from generator.model_versions import ModelVersionError
from generator.models import TrainingRun
from generator.training.corpus_text import (
    CorpusText,
    CorpusTextError,
    split_corpus,
    vocabulary_texts,
)
from generator.training.errors import TrainingRequestError, TrainingRunError
from generator.training.heartbeat import Heartbeat
from generator.training.listener import (
    CheckpointStored,
    RunOutcome,
    SessionStarted,
    TrainingListener,
)
from generator.training.registering import evaluate_registered, export_and_register
from generator.training.stopping import ABORTED
from generator.training.stored import (
    best_epoch_state,
    metrics_row,
    newest_good_checkpoint,
    read_run_corpus,
    require_every_epoch_stored,
    store_checkpoint,
    store_corpus,
)

logger = logging.getLogger(__name__)

# Failures that end a run with a readable one-line reason (anything else is a bug: re-raised).
_EXPECTED_FAILURES = (
    MLError,
    ArtifactStoreError,
    ModelVersionError,
    CorpusTextError,
    TrainingRunError,
)
_RESUMABLE = (TrainingRun.Status.INTERRUPTED, TrainingRun.Status.FAILED)


def start_or_resume_run(
    run_id: int,
    *,
    epochs: int | None = None,
    resume_failed: bool = True,
    stop: StopFlag | None = None,
    store: ArtifactStore | None = None,
    work_dir: Path | None = None,
    listener: TrainingListener | None = None,
    activate: bool = False,
    version_name: str | None = None,
) -> RunOutcome:
    """Train run `run_id` from where it stands (module docstring) until it is done or stopped.

    `epochs` gives a resumed run a new total (it extends the run). `resume_failed=False`
    refuses a failed run instead of resuming it (the Celery task: a failure waits for a
    person). `activate` serves the model version once the run is done; `version_name` names it
    (default `run-<id>`). Raises TrainingRequestError (one line, nothing changed) when the run
    cannot be trained now, TrainingRunError (one line, the run marked failed) when it fails.
    """
    run = _get_run(run_id)
    store = store or store_from_settings(settings)
    listener = listener or TrainingListener()
    work_dir = Path(work_dir) if work_dir is not None else run.work_dir
    if run.status == TrainingRun.Status.QUEUED:
        session = _start(run, store=store, work_dir=work_dir)
    else:
        _require_resumable(run, epochs=epochs, resume_failed=resume_failed)
        if run.checkpoint_keys:
            session = _resume(run, epochs=epochs, store=store, work_dir=work_dir, listener=listener)
        else:  # stopped before its first checkpoint: there is nothing to resume, it starts over
            session = _start(run, store=store, work_dir=work_dir, over=True, epochs=epochs)
    _configure_threads()
    with session as (state, text, warnings):
        return _train_session(
            run,
            state,
            text,
            store=store,
            work_dir=work_dir,
            stop=stop or StopFlag(),
            listener=listener,
            activate=activate or run.activate_when_done,
            version_name=version_name or f"run-{run.pk}",
            warnings=warnings,
        )


# -- where a session starts --------------------------------------------------------------------


@contextlib.contextmanager
def _start(
    run: TrainingRun,
    *,
    store: ArtifactStore,
    work_dir: Path,
    over: bool = False,
    epochs: int | None = None,
) -> Iterator[tuple[TrainingState, CorpusText, list[str]]]:
    """A queued run's session: claimed, its corpus stored, its network at epoch 0. `over`: a
    stopped run's that stored no checkpoint, which starts again (with `epochs`, a new total)."""
    training = TrainingConfig.from_dict(run.hyperparameters["training"])
    if not over:
        _claim(run, allowed=(TrainingRun.Status.QUEUED,))
    else:
        _claim(run, allowed=_RESUMABLE, or_silent=True)
        training = replace(training, epochs=epochs or training.epochs)
        run.continue_from(epochs=training.epochs, epochs_done=0, epoch_metrics=[])
    with _failures_recorded(run):
        text = read_run_corpus(run, store=store, work_dir=work_dir)
        store_corpus(run, store=store)
        state = initial_state(
            ModelConfig.from_dict(run.hyperparameters["model"]),
            training,
            from_pretrained=run.from_pretrained,
            texts=vocabulary_texts(text.verses, kind=run.texts),
            text_kind=run.texts,
        )
        yield state, text, []


@contextlib.contextmanager
def _resume(
    run: TrainingRun,
    *,
    epochs: int | None,
    store: ArtifactStore,
    work_dir: Path,
    listener: TrainingListener,
) -> Iterator[tuple[TrainingState, CorpusText, list[str]]]:
    """A stopped run's session, from its newest good checkpoint in storage (nothing local is
    needed: the corpus copy uploaded at the start is fetched if the file is not here)."""
    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        listener.warn(message)

    try:
        state = newest_good_checkpoint(
            run, store=store, work_dir=work_dir, warn=warn, epochs=epochs
        )
    except ArtifactStoreError as exc:
        raise TrainingRequestError(f"cannot read run #{run.pk}'s checkpoints: {exc}") from None
    _claim(run, allowed=_RESUMABLE, or_silent=True)
    with _failures_recorded(run):
        text = read_run_corpus(run, store=store, work_dir=work_dir)
        run.continue_from(
            epochs=state.training.epochs,
            epochs_done=state.epoch,
            epoch_metrics=[metrics_row(m) for m in state.metrics],
        )
        yield state, text, warnings


def _require_resumable(run: TrainingRun, *, epochs: int | None, resume_failed: bool) -> None:
    if run.status == TrainingRun.Status.RUNNING and not run.is_silent:
        raise TrainingRequestError(
            f"run #{run.pk} is running on {run.host or 'another host'} (last heard from "
            f"{_seconds_since(run.updated_at)} s ago); stop it (SIGTERM) before resuming it, "
            f"or resume it once it has been silent for {settings.TRAINING_SILENT_AFTER_S} s"
        )
    if run.status == TrainingRun.Status.DONE:
        raise TrainingRequestError(f"run #{run.pk} is already done")
    if run.status == TrainingRun.Status.FAILED and not resume_failed:
        raise TrainingRequestError(
            f"run #{run.pk} is {run.status}, not queued; "
            f"resume it with: manage.py train --resume {run.pk}"
        )
    if epochs is not None and epochs < 1:
        raise TrainingRequestError(f"epochs must be at least 1, got {epochs}")


def _claim(run: TrainingRun, *, allowed: tuple[str, ...], or_silent: bool = False) -> None:
    """Two workers handed the same run cannot both train it (nor two taking over a silent one)."""
    try:
        claimed = run.claim(
            allowed=allowed,
            or_silent=or_silent,
            host=socket.gethostname(),
            device=training_device(),
        )
    except IntegrityError:
        raise TrainingRequestError(
            f"corpus #{run.corpus_id} already has an active training run; wait for it to finish"
        ) from None
    if not claimed:
        raise TrainingRequestError(f"run #{run.pk} is {run.status}; it cannot be started now")


def _configure_threads() -> None:
    """Training's CPU thread pools, if TensorFlow has not started in this process yet (it has
    in a process that served or trained before, which then keeps its pools)."""
    if not configure_cpu_threads(
        intra_op=settings.TRAINING_INTRA_OP_THREADS, inter_op=settings.TRAINING_INTER_OP_THREADS
    ):
        logger.debug("training keeps this process's TensorFlow thread pools")


# -- a session -------------------------------------------------------------------------------


def _train_session(
    run: TrainingRun,
    state: TrainingState,
    text: CorpusText,
    *,
    store: ArtifactStore,
    work_dir: Path,
    stop: StopFlag,
    listener: TrainingListener,
    activate: bool,
    version_name: str,
    warnings: list[str],
) -> RunOutcome:
    split = split_corpus(
        text.verses, validation_split=state.training.validation_split, seed=state.training.seed
    )
    kind = text_kind_of(state.vocabulary)  # a verse model's vocabulary has the newline
    dataset = training_dataset(split.train_texts(kind), split.validation_texts(kind), state=state)
    batch_size = min(state.training.batch_size, len(dataset.train))
    if listener.on_start is not None:
        listener.on_start(
            SessionStarted(
                run_id=run.pk,
                device=run.device,
                epoch=state.epoch,
                batches_done=state.batches_done,
                epochs=state.training.epochs,
                batches_per_epoch=batches_per_epoch(len(dataset.train), batch_size),
                batch_size=batch_size,
                train_windows=len(dataset.train),
                validation_windows=len(dataset.validation),
                unknown_tokens=sum(dataset.train.unknown_tokens.values())
                + sum(dataset.validation.unknown_tokens.values()),
            )
        )
    session_started = time.monotonic()
    wall_before = run.wall_seconds

    def wall_seconds() -> float:
        return wall_before + time.monotonic() - session_started

    def on_checkpoint(report: EpochReport) -> None:
        key = store_checkpoint(run, report, store=store, wall_seconds=wall_seconds())
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
        checkpoint_dir=work_dir / "checkpoints",
        on_epoch_end=on_checkpoint,
        stop=stop,
        on_batch=Heartbeat(
            run, state, stop=stop, on_batch=listener.on_batch, batch_size=batch_size
        ),
    )
    if result.status == "interrupted":
        run.mark_interrupted(wall_seconds=wall_seconds(), stop_reason=result.stop_reason)
        return RunOutcome(
            run=run, version=None, message=_interrupted(run, state), warnings=warnings
        )
    return _finish(
        run,
        state,
        text,
        result,
        store=store,
        work_dir=work_dir,
        activate=activate,
        version_name=version_name,
        wall_seconds=wall_seconds(),
        warnings=warnings,
    )


def _finish(
    run: TrainingRun,
    state: TrainingState,
    text: CorpusText,
    result: FitResult,
    *,
    store: ArtifactStore,
    work_dir: Path,
    activate: bool,
    version_name: str,
    wall_seconds: float,
    warnings: list[str],
) -> RunOutcome:
    """Register the best epoch's model, mark the run done, evaluate the model."""
    require_every_epoch_stored(run, store=store, epochs=state.epoch)
    best = best_epoch_state(run, state, result.best_epoch, store=store, work_dir=work_dir)
    run.wall_seconds = wall_seconds  # the version's metrics report it
    version = export_and_register(
        run,
        best,
        text,
        work_dir=work_dir,
        activate=activate,
        name=version_name,
        stop_reason=result.stop_reason,
    )
    run.mark_done(wall_seconds=wall_seconds, stop_reason=result.stop_reason, best_epoch=best.epoch)
    evaluated = evaluate_registered(version)
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


def _interrupted(run: TrainingRun, state: TrainingState) -> str:
    where = (
        f"epoch {state.epoch + 1}, batch {state.batches_done}"
        if state.batches_done
        else f"the end of epoch {state.epoch}"
    )
    return (
        f"run #{run.pk} interrupted at {where}; its checkpoint is stored; "
        f"resume it on any machine with: python manage.py train --resume {run.pk}"
    )


# -- the run row -----------------------------------------------------------------------------


def _get_run(run_id: int) -> TrainingRun:
    run = TrainingRun.objects.select_related("corpus").filter(pk=run_id).first()
    if run is None:
        raise TrainingRequestError(f"training run #{run_id} does not exist")
    return run


def _seconds_since(moment: datetime.datetime) -> int:
    return max(int((timezone.now() - moment).total_seconds()), 0)


@contextlib.contextmanager
def _failures_recorded(run: TrainingRun) -> Iterator[None]:
    """Mark the run failed with a one-line reason when the block raises.

    Expected failures (storage, corrupt files, bad models) and the machine's (a full disk, a
    folder that cannot be written: an OSError, whose traceback goes to the log) become one
    TrainingRunError line; anything else is a bug: recorded, then re-raised with its traceback.
    A KeyboardInterrupt (Ctrl-C twice) marks the run interrupted, resumable, and goes on up.
    """
    try:
        yield
    except _EXPECTED_FAILURES as error:
        reason = _one_line(error)
        run.mark_failed(reason)
        raise TrainingRunError(f"run #{run.pk} failed: {reason}") from None
    except OSError as error:
        reason = _machine_reason(error)
        logger.warning("run #%s failed: %s", run.pk, reason, exc_info=True)
        run.mark_failed(reason)
        raise TrainingRunError(
            f"run #{run.pk} failed: {reason}; once that is fixed, resume it with: "
            f"python manage.py train --resume {run.pk}"
        ) from None
    except KeyboardInterrupt:
        # Ctrl-C twice: the person asked to stop at once, not at the next batch. Nothing
        # failed: the run resumes from its last stored checkpoint, if it has stored one.
        lost = (
            "the batches since its last checkpoint are lost"
            if run.checkpoint_keys
            else "before its first checkpoint, it starts over when resumed"
        )
        run.mark_interrupted(wall_seconds=run.wall_seconds, stop_reason=f"{ABORTED}: {lost}")
        raise
    except BaseException as error:
        run.mark_failed(f"{type(error).__name__}: {_one_line(error)}")
        raise


def _machine_reason(error: OSError) -> str:
    """ "No space left on device: /data/runs/7/epoch-0003.ckpt.1f2e.part" from an OSError."""
    what = error.strerror or _one_line(error)
    return f"{what}: {error.filename}" if error.filename else what


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

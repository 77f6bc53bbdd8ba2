"""Starting a run in the background (the corpus admin action): create it, hand it to a worker;
and asking a run to stop (the runs admin's Stop action).

With a Celery broker the door hands the run to the `train_model` task (the admin passes
generator.tasks.send_training_task as `hand_over`: a service never imports a door). Without one
(the embedded defaults of `make run`), Celery would run the task inside the web request, which
gunicorn kills after its timeout, leaving the run "running" forever; the run is trained by a
`manage.py train --resume ID` process of its own instead, which the request only starts.

Stopping works the same wherever the run trains (a local process, a Celery worker on another
machine): `request_stop` records the request on the run, and the training session, which reads
it with its heartbeat (at most every PROGRESS_EVERY_S), stops at the next batch boundary exactly
as on SIGTERM: a mid-epoch checkpoint is stored and the run is marked interrupted, resumable
with `manage.py train --resume ID`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.broker import BrokerUnreachable, broker_reachable
from generator.models import TrainingRun
from generator.training.errors import TrainingRequestError
from generator.training.requests import RunOptions, create_training_run

LOG_NAME = "train.log"


@dataclass(frozen=True)
class StartedRun:
    run: TrainingRun
    where: str  # for the message to staff: which worker trains it


def local_training_log(run: TrainingRun) -> Path:
    return run.work_dir / LOG_NAME


def admin_run_options() -> RunOptions:
    """Options of runs started from the admin: RunOptions' defaults (a pretrained fine-tune,
    textgenrnn's epochs), changed by the TRAINING_ADMIN_OPTIONS setting."""
    return RunOptions.from_mapping(settings.TRAINING_ADMIN_OPTIONS)


def queue_training_run(
    *,
    corpus_id: int,
    hand_over: Callable[[int], None],
    options: RunOptions | None = None,
    activate: bool = False,
) -> StartedRun:
    """A queued run on the corpus, handed to a worker once the row is committed (a worker must
    see it): `hand_over(run_id)` queues the Celery task, unless the run trains in a local
    process (module docstring). `options` default to `admin_run_options()`; `activate` serves
    the model version once the run is done. Raises TrainingRequestError (one line) when the
    corpus cannot be trained on now."""
    local = settings.CELERY_TASK_ALWAYS_EAGER and settings.TRAINING_LOCAL_PROCESS
    with transaction.atomic():
        run = create_training_run(corpus_id=corpus_id, options=options or admin_run_options())
        if activate:
            run.activate_when_done = True
            run.save(update_fields=["activate_when_done"])
        if local:
            transaction.on_commit(lambda: start_local_training(run))
        else:
            transaction.on_commit(lambda: _hand_over_or_fail(run, hand_over))
    if local:
        log = local_training_log(run)
        where = f"in a process of its own on this machine (no Celery broker; log: {log})"
    elif settings.CELERY_TASK_ALWAYS_EAGER:
        where = "in this process (Celery runs tasks eagerly)"
    else:
        where = "on the Celery training queue"
    return StartedRun(run=run, where=where)


def _hand_over_or_fail(run: TrainingRun, hand_over: Callable[[int], None]) -> None:
    """Queue the committed run; one the task queue cannot take is marked failed, saying why (a
    run left queued with no task would never start), and refused in one line."""
    try:
        with broker_reachable():
            hand_over(run.pk)
    except BrokerUnreachable as error:
        run.mark_failed(f"not started: {error}")
        raise TrainingRequestError(f"run #{run.pk} was not started: {error}") from None


def request_stop(*, run_id: int) -> TrainingRun:
    """Ask a queued or running run to stop (module docstring); TrainingRequestError otherwise.

    Asking twice keeps the first request's time.
    """
    run = TrainingRun.objects.filter(pk=run_id).first()
    if run is None:
        raise TrainingRequestError(f"training run #{run_id} does not exist")
    if run.status not in TrainingRun.ACTIVE_STATUSES:
        raise TrainingRequestError(f"run #{run.pk} is {run.status}: there is nothing to stop")
    TrainingRun.objects.filter(pk=run.pk, stop_requested_at__isnull=True).update(
        stop_requested_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def start_local_training(run: TrainingRun) -> subprocess.Popen[bytes]:
    """`manage.py train --resume ID` in a process of its own (a queued run starts), its output
    in the run's work folder. It shares the caller's process group, so a Ctrl-C that stops
    `make run` stops the run too, cleanly (interrupted, resumable); gunicorn recycling the
    worker that started it does not."""
    log_path = local_training_log(run)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "train"]
    command += ["--resume", str(run.pk), "--no-color"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=os.environ.copy(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    # Reap it when it ends, so that a long-lived web worker collects no zombies.
    threading.Thread(target=process.wait, name=f"training-run-{run.pk}", daemon=True).start()
    return process

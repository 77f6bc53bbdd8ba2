"""Starting a run in the background (the corpus admin action): create it, hand it to a worker.

With a Celery broker the `train_model` task goes to the `training` queue. Without one (the
embedded defaults of `make run`), Celery would run the task inside the web request, which
gunicorn kills after its timeout, leaving the run "running" forever; the run is trained by a
`manage.py train --resume ID` process of its own instead, which the request only starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from generator.models import TrainingRun
from generator.training.requests import create_training_run

LOG_NAME = "train.log"


@dataclass(frozen=True)
class StartedRun:
    run: TrainingRun
    where: str  # for the message to staff: which worker trains it


def local_training_log(run: TrainingRun) -> Path:
    return run.work_dir / LOG_NAME


def admin_training_options() -> dict[str, Any]:
    """Options of runs started from the admin: textgenrnn's defaults (a pretrained fine-tune,
    25 epochs), overridable with the TRAINING_ADMIN_OPTIONS setting (create_training_run's
    keyword arguments)."""
    return dict(getattr(settings, "TRAINING_ADMIN_OPTIONS", None) or {})


def queue_training_run(*, corpus_id: int) -> StartedRun:
    """A queued run on the corpus, handed to a worker once the row is committed (a worker must
    see it). Raises TrainingRequestError (one line) when the corpus cannot be trained on now."""
    from generator.tasks import send_training_task

    local = settings.CELERY_TASK_ALWAYS_EAGER and settings.TRAINING_LOCAL_PROCESS
    with transaction.atomic():
        run = create_training_run(corpus_id=corpus_id, **admin_training_options())
        if local:
            transaction.on_commit(lambda: start_local_training(run))
        else:
            transaction.on_commit(lambda: send_training_task(run.pk))
    if local:
        log = local_training_log(run)
        where = f"in a process of its own on this machine (no Celery broker; log: {log})"
    elif settings.CELERY_TASK_ALWAYS_EAGER:
        where = "in this process (Celery runs tasks eagerly)"
    else:
        where = "on the Celery training queue"
    return StartedRun(run=run, where=where)


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

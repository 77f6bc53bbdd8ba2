"""Long curation jobs out of the web request: a Celery task with a broker, else a process.

Without a broker Celery would run a task inside the request (eager), which gunicorn kills after
its timeout. So, like training (generator.training.queueing), such a job runs as a `manage.py`
command in a process of its own, its output in a log file; the request only starts it. The tests
(TRAINING_LOCAL_PROCESS off) keep eager tasks, run in place.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from celery import Task, current_app
from django.conf import settings


def runs_in_own_process() -> bool:
    """True when a job must start a process of its own (no broker, and not the tests)."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER and settings.TRAINING_LOCAL_PROCESS)


def registered_task(name: str) -> Task:  # type: ignore[type-arg]
    """The Celery task registered as `name` (e.g. "lyrics.build_corpus").

    A service queues the job by name, so it never imports its door (`lyrics/tasks.py`, which
    imports the services): Celery's autodiscovery has registered every app's tasks by then.
    """
    return current_app.tasks[name]


def start_manage_command(
    arguments: list[str], *, log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """`manage.py <arguments>` in a process of its own; raises OSError when it cannot start."""
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *arguments]
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    output = log_path.open("ab") if log_path is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=os.environ.copy(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT if log_path is not None else subprocess.DEVNULL,
        )
    finally:
        if log_path is not None and not isinstance(output, int):
            output.close()

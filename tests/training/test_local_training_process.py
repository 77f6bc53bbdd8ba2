"""Without a Celery broker (`make run`), an admin-started run trains in a process of its own.

The web request only starts `manage.py train --resume ID`: it returns at once, and the run
survives gunicorn's worker timeout instead of being killed with the request.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from generator.models import ModelVersion, TrainingRun
from generator.training.queueing import local_training_log
from lyrics.models import Corpus
from tests.training.conftest import TINY_OPTIONS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_with_child_processes(child_processes_share_this_test: None, settings: Any) -> None:
    """A training process started by the code under test sees this test's database and folders."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.TRAINING_LOCAL_PROCESS = True
    settings.TRAINING_ADMIN_OPTIONS = {**TINY_OPTIONS, "epochs": 1}


def wait_until_finished(run: TrainingRun, *, timeout_s: float = 240.0) -> TrainingRun:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (TrainingRun.Status.DONE, TrainingRun.Status.FAILED):
            return run
        time.sleep(0.5)
    log = local_training_log(run)
    pytest.fail(f"run #{run.pk} still {run.status}; log:\n{log.read_text()[-3000:]}")


def wait_for_line(log: Path, text: str, *, timeout_s: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if text in log.read_text():
            return True
        time.sleep(0.2)
    return False


def test_the_admin_action_starts_a_training_process_and_returns(
    shared_with_child_processes: None, corpus: Corpus, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("admin:lyrics_corpus_changelist"),
        {"action": "train_model", "_selected_action": [corpus.pk]},
        follow=True,
    )

    run = TrainingRun.objects.get()
    log = local_training_log(run)
    assert [str(m) for m in response.context["messages"]] == [
        f"Training run #{run.pk} queued on corpus #{corpus.pk}, to train in a process of its "
        f"own on this machine (no Celery broker; log: {log})."
    ]
    run = wait_until_finished(run)
    assert run.status == TrainingRun.Status.DONE, log.read_text()[-3000:]
    assert ModelVersion.objects.filter(training_run=run).exists()
    # The other process trained it: its `manage.py train` output is in the run's log. The
    # process marks the run done, evaluates the new version, then prints its last line, so the
    # line comes after the status (by the evaluation's time).
    assert wait_for_line(log, f"run #{run.pk} done"), log.read_text()[-3000:]

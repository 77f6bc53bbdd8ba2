"""The Celery task and the corpus admin action are doors into the same training service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from generator.models import ModelVersion, TrainingRun
from generator.tasks import TRAINING_QUEUE, train_model
from generator.training import RunOptions, create_training_run
from lyrics.models import Corpus
from tests.training.conftest import TINY_OPTIONS

pytestmark = pytest.mark.django_db


def test_the_task_is_acknowledged_late_so_a_lost_worker_means_a_redelivery() -> None:
    assert train_model.acks_late is True
    assert train_model.reject_on_worker_lost is True
    assert TRAINING_QUEUE == "training"


def test_the_task_trains_a_queued_run(work_dirs: Path, corpus: Corpus) -> None:
    run = create_training_run(corpus_id=corpus.pk, options=RunOptions(epochs=1, **TINY_OPTIONS))

    result = train_model.delay(run.pk).get()

    run.refresh_from_db()
    assert result["status"] == run.status == TrainingRun.Status.DONE
    assert run.celery_task_id
    assert ModelVersion.objects.get().training_run == run


def test_the_task_reports_a_run_it_cannot_start(work_dirs: Path) -> None:
    result = train_model.delay(12345).get()
    assert result["message"] == "training run #12345 does not exist"


def _train_action(client: Client, corpus: Corpus) -> list[str]:
    response = client.post(
        reverse("admin:lyrics_corpus_changelist"),
        {"action": "train_model", "_selected_action": [corpus.pk]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_the_admin_action_queues_a_run_on_the_corpus(
    work_dirs: Path,
    corpus: Corpus,
    staff_client: Client,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.TRAINING_ADMIN_OPTIONS = {**TINY_OPTIONS, "epochs": 1}

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        messages = _train_action(staff_client, corpus)

    run = TrainingRun.objects.get()
    assert messages == [
        f"Training run #{run.pk} queued on corpus #{corpus.pk}, "
        "to train in this process (Celery runs tasks eagerly)."
    ]
    assert len(callbacks) == 1
    # Celery is eager in tests: the queued task has run the training.
    assert run.corpus == corpus and run.status == TrainingRun.Status.DONE
    assert ModelVersion.objects.filter(training_run=run).exists()


def test_the_admin_action_reports_a_run_already_active(
    work_dirs: Path, corpus: Corpus, staff_client: Client
) -> None:
    active = create_training_run(corpus_id=corpus.pk, options=RunOptions(epochs=1))
    TrainingRun.objects.filter(pk=active.pk).update(status=TrainingRun.Status.RUNNING)

    messages = _train_action(staff_client, corpus)

    assert messages == [
        f"Not started: corpus #{corpus.pk} already has run #{active.pk} running; wait for it "
        "to finish (or stop it) before starting another"
    ]
    assert TrainingRun.objects.count() == 1

"""A run whose machine vanished without SIGTERM: silent after a while, then resumable anywhere.

A training process refreshes its run's heartbeat (updated_at) as it trains; a "running" run not
heard from for TRAINING_SILENT_AFTER_S is taken over by `--resume` or a redelivered task, while
a live one is never trained twice.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from generator.models import ModelVersion, TrainingRun
from generator.tasks import train_model
from generator.training import (
    RunOptions,
    TrainingListener,
    TrainingRequestError,
    create_training_run,
    start_or_resume_run,
)
from lyrics.models import Corpus
from tests.training.conftest import TINY_OPTIONS, interrupted_run

pytestmark = pytest.mark.django_db


def _vanished_after_one_epoch(corpus_file: Path, *, silent_for_s: float) -> TrainingRun:
    """A run that stored epoch 1 and then lost its machine: still "running" in the database."""
    run = interrupted_run(corpus_file, epochs=2, stop_after_epoch=1)
    last_heard = timezone.now() - datetime.timedelta(seconds=silent_for_s)
    # update() leaves updated_at alone (auto_now applies to save()): the heartbeat stopped then.
    TrainingRun.objects.filter(pk=run.pk).update(
        status=TrainingRun.Status.RUNNING, finished_at=None, updated_at=last_heard
    )
    run.refresh_from_db()
    return run


def test_a_silent_run_is_resumed_from_its_newest_checkpoint(
    corpus_file: Path, work_dirs: Path, settings: Any
) -> None:
    run = _vanished_after_one_epoch(corpus_file, silent_for_s=settings.TRAINING_SILENT_AFTER_S + 5)

    outcome = start_or_resume_run(run.pk)

    assert outcome.status == TrainingRun.Status.DONE
    assert [row["epoch"] for row in outcome.run.epoch_metrics] == [1, 2]
    assert ModelVersion.objects.filter(training_run=run).exists()


def test_a_run_whose_machine_vanished_before_its_first_checkpoint_starts_over(
    corpus_file: Path, work_dirs: Path, settings: Any
) -> None:
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(epochs=2, **TINY_OPTIONS))
    last_heard = timezone.now() - datetime.timedelta(seconds=settings.TRAINING_SILENT_AFTER_S + 5)
    TrainingRun.objects.filter(pk=run.pk).update(
        status=TrainingRun.Status.RUNNING, started_at=last_heard, updated_at=last_heard
    )

    outcome = start_or_resume_run(run.pk)

    assert outcome.status == TrainingRun.Status.DONE
    assert [row["epoch"] for row in outcome.run.epoch_metrics] == [1, 2]


def test_a_run_heard_from_recently_is_not_trained_twice(
    corpus_file: Path, work_dirs: Path, settings: Any
) -> None:
    run = _vanished_after_one_epoch(corpus_file, silent_for_s=settings.TRAINING_SILENT_AFTER_S - 60)

    with pytest.raises(TrainingRequestError) as refused:
        start_or_resume_run(run.pk)

    message = str(refused.value)
    assert "\n" not in message
    assert f"run #{run.pk} is running on " in message
    assert "stop it (SIGTERM) before resuming it" in message
    assert f"silent for {settings.TRAINING_SILENT_AFTER_S} s" in message
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.RUNNING and run.epochs_done == 1


def test_a_redelivered_task_takes_over_a_silent_run(
    corpus_file: Path, work_dirs: Path, settings: Any
) -> None:
    run = _vanished_after_one_epoch(corpus_file, silent_for_s=settings.TRAINING_SILENT_AFTER_S + 5)

    result = train_model.delay(run.pk).get()

    assert result["status"] == TrainingRun.Status.DONE
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.DONE and run.epochs_done == 2


def test_a_training_process_keeps_its_heartbeat_fresh(
    corpus_file: Path, work_dirs: Path, settings: Any
) -> None:
    settings.TRAINING_HEARTBEAT_S = 1
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(epochs=1, **TINY_OPTIONS))
    heard: list[datetime.datetime] = []

    def on_batch(done: int, total: int) -> None:
        if done <= 2:
            heard.append(TrainingRun.objects.get(pk=run.pk).updated_at)
        if done == 1:
            time.sleep(1.1)  # past the heartbeat interval: the next batch refreshes it

    start_or_resume_run(run.pk, listener=TrainingListener(on_batch=on_batch))

    assert len(heard) == 2 and heard[1] > heard[0]


def test_the_runs_list_says_which_running_run_has_gone_silent(
    staff_client: Client, settings: Any
) -> None:
    live = TrainingRun.objects.create(epochs=2, status=TrainingRun.Status.RUNNING)
    gone = TrainingRun.objects.create(epochs=2, status=TrainingRun.Status.RUNNING)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.TRAINING_SILENT_AFTER_S + 300)
    TrainingRun.objects.filter(pk=gone.pk).update(updated_at=long_ago)

    page = staff_client.get(reverse("admin:generator_trainingrun_changelist")).content.decode()

    minutes = (settings.TRAINING_SILENT_AFTER_S + 300) // 60
    assert (
        f"running, silent for {minutes} min: its machine is gone; resume it with "
        f"manage.py train --resume {gone.pk}"
    ) in page
    assert f"manage.py train --resume {live.pk}<" not in page
    assert page.count("silent for") == 1


def test_a_new_run_on_a_corpus_whose_run_went_silent_points_at_resuming_it(
    corpus: Corpus, work_dirs: Path, settings: Any
) -> None:
    gone = create_training_run(corpus_id=corpus.pk, options=RunOptions(epochs=1, **TINY_OPTIONS))
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.TRAINING_SILENT_AFTER_S + 5)
    TrainingRun.objects.filter(pk=gone.pk).update(
        status=TrainingRun.Status.RUNNING, updated_at=long_ago
    )

    with pytest.raises(TrainingRequestError) as refused:
        create_training_run(corpus_id=corpus.pk, options=RunOptions(epochs=1, **TINY_OPTIONS))

    assert str(refused.value) == (
        f"corpus #{corpus.pk} already has run #{gone.pk}, running but silent (its machine is "
        f"gone?); resume it with: manage.py train --resume {gone.pk}"
    )
    assert TrainingRun.objects.count() == 1

"""A training run that registers a version has it evaluated, end to end: in the training process
without a broker, by a worker on the training queue with one."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker

from generator.ml.evaluation.report import DEFAULT_FIRST_SEED, DEFAULT_VERSES
from generator.models import ModelEvaluation
from generator.training import RunOptions, create_training_run, start_or_resume_run
from raplyrics.celery import app
from tests.evaluation.conftest import train_tiny_version
from tests.training.conftest import TINY_OPTIONS

needs_redis = pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"),
    reason="no Redis broker on 127.0.0.1:6379 (the fallback run uses eager Celery)",
)
# A tiny version's evaluation takes seconds; the machine may be busy.
WORKER_WAIT_S = 180


def test_training_registers_a_version_and_its_evaluation_is_stored(
    db: None, work_dirs: Path, corpus_file: Path, settings: Any
) -> None:
    settings.EVALUATE_AFTER_TRAINING = True
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(epochs=1, **TINY_OPTIONS))
    outcome = start_or_resume_run(run.pk)
    assert outcome.version is not None

    evaluation = ModelEvaluation.objects.get(version=outcome.version)
    assert evaluation.settings["verses"] == DEFAULT_VERSES
    assert evaluation.settings["first_seed"] == DEFAULT_FIRST_SEED
    assert evaluation.settings["lines"] == 8
    assert evaluation.model_row["verses"] == DEFAULT_VERSES
    assert evaluation.corpus_row["rhyme_density"] is not None
    assert len(evaluation.samples) == 3
    # Held out the same verses as training did: its loss is the run's validation loss.
    assert evaluation.model_row["loss"] == pytest.approx(
        outcome.run.epoch_metrics[-1]["val_loss"], rel=1e-4
    )
    # The line says which seeds it reports on, and where tuning should look instead.
    assert "; evaluated on the reporting seeds 1000-1023: bits/char" in outcome.message
    assert "rhyme density" in outcome.message
    assert (
        f"(tuning? judge on others: manage.py evaluate --model {outcome.version.pk} --seed 5000)"
        in outcome.message
    )


def test_with_evaluation_off_a_run_stores_none(
    db: None, work_dirs: Path, corpus_file: Path, settings: Any
) -> None:
    settings.EVALUATE_AFTER_TRAINING = False
    version = train_tiny_version(corpus_file)
    assert not ModelEvaluation.objects.filter(version=version).exists()


def test_a_failed_evaluation_never_fails_the_run(
    db: None, work_dirs: Path, corpus_file: Path, settings: Any
) -> None:
    settings.EVALUATE_AFTER_TRAINING = True
    options = {**TINY_OPTIONS, "validation_split": 0.0}  # nothing held out: nothing to compare
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(epochs=1, **options))
    outcome = start_or_resume_run(run.pk)

    assert outcome.status == "done"
    assert outcome.version is not None
    assert "; evaluation failed: " in outcome.message
    assert "held no verse out" in outcome.message
    assert not ModelEvaluation.objects.exists()


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_with_a_broker_a_worker_on_the_training_queue_evaluates_the_new_version(
    work_dirs: Path, corpus_file: Path, settings: Any
) -> None:
    settings.EVALUATE_AFTER_TRAINING = True
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=60, queues=["training"]
        ):
            run = create_training_run(
                corpus_file=corpus_file, options=RunOptions(epochs=1, **TINY_OPTIONS)
            )
            outcome = start_or_resume_run(run.pk)
            assert outcome.version is not None
            assert "evaluation of run-" in outcome.message
            assert "queued on the training queue" in outcome.message
            deadline = time.monotonic() + WORKER_WAIT_S
            while not ModelEvaluation.objects.filter(version=outcome.version).exists():
                assert time.monotonic() < deadline, "no worker evaluated the version"
                time.sleep(0.5)
    finally:
        app.conf.task_always_eager = True
    evaluation = ModelEvaluation.objects.get(version=outcome.version)
    assert evaluation.model_row["verses"] == DEFAULT_VERSES

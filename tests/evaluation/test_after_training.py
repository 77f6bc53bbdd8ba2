"""A training run that registers a version has it evaluated, end to end (no broker: in the
training process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.ml.evaluation.report import DEFAULT_FIRST_SEED, DEFAULT_VERSES
from generator.models import ModelEvaluation
from generator.training import create_training_run, run_training
from tests.evaluation.conftest import train_tiny_version
from tests.training.conftest import TINY_OPTIONS


def test_training_registers_a_version_and_its_evaluation_is_stored(
    db: None, work_dirs: Path, corpus_file: Path, settings: Any
) -> None:
    settings.EVALUATE_AFTER_TRAINING = True
    run = create_training_run(corpus_file=corpus_file, epochs=1, **TINY_OPTIONS)
    outcome = run_training(run.pk)
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
    assert "; evaluated: bits/char" in outcome.message
    assert "rhyme density" in outcome.message


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
    run = create_training_run(corpus_file=corpus_file, epochs=1, **options)
    outcome = run_training(run.pk)

    assert outcome.status == "done"
    assert outcome.version is not None
    assert "; evaluation failed: " in outcome.message
    assert "held no verse out" in outcome.message
    assert not ModelEvaluation.objects.exists()

"""Early stopping: the run stops once the held-out loss stops improving, registers the best
epoch's weights (not the last's) and records which epoch and why."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from django.conf import settings as django_settings

from generator.artifacts import store_from_settings
from generator.ml.checkpoint import load_checkpoint
from generator.ml.config import DEFAULT_PATIENCE
from generator.ml.fit import resume_training, serving_model
from generator.models import ModelVersion, TrainingRun
from generator.training import (
    RunOptions,
    TrainingRequestError,
    create_training_run,
    start_or_resume_run,
)
from tests.training.conftest import TINY_OPTIONS

pytestmark = pytest.mark.django_db

# A learning rate 25 times textgenrnn's on eight verses: the held-out loss soon turns up.
OVERFITTING = {**TINY_OPTIONS, "learning_rate": 0.1, "epochs": 12, "patience": 2}


def test_it_stops_after_patience_epochs_without_improvement_and_keeps_the_best_epoch(
    corpus_file: Path, work_dirs: Path, tmp_path: Path, objective: str
) -> None:
    run = create_training_run(
        corpus_file=corpus_file, options=RunOptions(objective=objective, **OVERFITTING)
    )

    outcome = start_or_resume_run(run.pk)

    run.refresh_from_db()
    held_out = [row["val_loss"] for row in run.epoch_metrics]
    best = 1 + int(np.argmin(held_out))
    assert run.status == TrainingRun.Status.DONE
    assert run.epochs_done == best + 2 < 12  # stopped two epochs after the best one
    assert run.best_epoch == best
    assert run.stop_reason == (
        f"early stop: validation loss did not improve for 2 epochs after epoch {best} (patience 2)"
    )
    assert f"kept epoch {best}" in outcome.message

    version = ModelVersion.objects.get(training_run=run)
    assert version.metrics["epochs"] == best
    assert version.metrics["val_loss"] == pytest.approx(held_out[best - 1])
    # The registered weights are the best epoch's checkpoint's result (its weights' moving
    # average, the default), not the last epoch's.
    store = store_from_settings(django_settings)
    best_checkpoint = tmp_path / "best.ckpt"
    store.get_file(f"runs/{run.pk}/epoch-{best:04d}.ckpt", best_checkpoint)
    expected = serving_model(resume_training(load_checkpoint(best_checkpoint)))
    weights_file = tmp_path / "registered.hdf5"
    store.get_file(version.weights_key, weights_file)
    with h5py.File(weights_file, "r") as handle:
        output_kernel = np.asarray(handle["output"]["output/kernel:0"])
    assert np.array_equal(output_kernel, expected.get_layer("output").get_weights()[0])


def test_a_run_with_patience_0_trains_every_epoch_and_keeps_the_best(
    corpus_file: Path, work_dirs: Path
) -> None:
    options = {**OVERFITTING, "epochs": 4, "patience": 0}
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(**options))

    start_or_resume_run(run.pk)

    run.refresh_from_db()
    held_out = [row["val_loss"] for row in run.epoch_metrics]
    assert run.epochs_done == 4
    assert run.best_epoch == 1 + int(np.argmin(held_out))
    assert run.stop_reason == "finished its 4 epochs"
    assert run.hyperparameters["training"]["patience"] is None


def test_a_run_stops_three_epochs_after_its_best_unless_asked_otherwise(
    corpus_file: Path, work_dirs: Path
) -> None:
    options = {**OVERFITTING, "patience": None}
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(**options))

    start_or_resume_run(run.pk)

    run.refresh_from_db()
    assert run.hyperparameters["training"]["patience"] == DEFAULT_PATIENCE == 3
    best = 1 + int(np.argmin([row["val_loss"] for row in run.epoch_metrics]))
    assert run.epochs_done == best + 3 < 12
    assert run.stop_reason.startswith("early stop: validation loss did not improve for 3 epochs")


@pytest.mark.parametrize(
    ("patience", "validation_split", "expected"),
    [(None, 0.1, DEFAULT_PATIENCE), (None, 0.0, None), (0, 0.1, None), (0, 0.0, None), (5, 0.1, 5)],
)
def test_the_default_patience_applies_only_where_a_split_is_held_out(
    patience: int | None, validation_split: float, expected: int | None
) -> None:
    options = RunOptions(patience=patience, validation_split=validation_split)
    assert options.patience_or_default == expected


@pytest.mark.parametrize("patience", [-1, 1.5, True, "3"])
def test_a_patience_that_is_not_a_count_of_epochs_is_refused(
    corpus_file: Path, work_dirs: Path, patience: object
) -> None:
    with pytest.raises(
        TrainingRequestError,
        match=r"^patience must be 0 \(train every epoch\) or more epochs, got ",
    ):
        create_training_run(
            corpus_file=corpus_file,
            options=RunOptions(**{**OVERFITTING, "patience": patience}),
        )
    assert not TrainingRun.objects.exists()


def test_patience_without_a_held_out_split_is_refused(corpus_file: Path, work_dirs: Path) -> None:
    with pytest.raises(TrainingRequestError, match="patience needs a validation split above 0"):
        create_training_run(
            corpus_file=corpus_file, options=RunOptions(**{**OVERFITTING, "validation_split": 0.0})
        )
    assert not TrainingRun.objects.exists()

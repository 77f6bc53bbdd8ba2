"""The training loop: it learns, it is deterministic, it stops politely and resumes exactly."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from generator.ml.dataset import DatasetSplit, build_dataset
from generator.ml.training import (
    EpochReport,
    StopFlag,
    TrainingConfig,
    TrainingError,
    fit,
    new_model,
    resume_from_file,
    start_training,
)
from generator.ml.vocab import Vocabulary
from tests.ml.conftest import TINY

TRAINING = TrainingConfig(epochs=3, batch_size=64, dropout=0.1, seed=5, validation_split=0.1)


@pytest.fixture(scope="module")
def corpus(shakespeare_texts: list[str]) -> tuple[Vocabulary, DatasetSplit]:
    texts = shakespeare_texts[:16]
    vocabulary = Vocabulary.build(texts)
    dataset = build_dataset(texts, vocabulary=vocabulary, config=TINY, validation_split=0.1, seed=5)
    return vocabulary, dataset


def weights_after(
    training: TrainingConfig,
    corpus: tuple[Vocabulary, DatasetSplit],
    directory: Path,
    **fit_kwargs: object,
) -> tuple[list[np.ndarray], object]:
    vocabulary, dataset = corpus
    model = new_model(TINY, vocabulary, training=training)
    state = start_training(model, vocabulary=vocabulary, config=TINY, training=training)
    result = fit(state, dataset, checkpoint_dir=directory, **fit_kwargs)  # type: ignore[arg-type]
    return [keras.ops.convert_to_numpy(v) for v in state.model.variables], result


def test_loss_decreases_on_a_real_text(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reports: list[EpochReport] = []
    _, result = weights_after(TRAINING, corpus, tmp_path, on_epoch_end=reports.append)
    assert result.status == "done"  # type: ignore[attr-defined]
    losses = [m.train_loss for m in result.metrics]  # type: ignore[attr-defined]
    assert losses[-1] < losses[0] - 0.2
    validation = [m.validation_loss for m in result.metrics]  # type: ignore[attr-defined]
    assert validation[-1] < validation[0]
    assert all(m.windows_per_second > 0 for m in result.metrics)  # type: ignore[attr-defined]
    assert [r.checkpoint_path.name for r in reports] == [
        "epoch-0001.ckpt",
        "epoch-0002.ckpt",
        "epoch-0003.ckpt",
    ]
    assert all(r.checkpoint_path.is_file() for r in reports)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_weights(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    training = TrainingConfig(**{**TRAINING.to_dict(), "epochs": 1})
    first, _ = weights_after(training, corpus, tmp_path / "a")
    second, _ = weights_after(training, corpus, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.slow
def test_a_run_stopped_mid_epoch_and_resumed_ends_with_the_same_weights(
    corpus, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    uninterrupted, _ = weights_after(TRAINING, corpus, tmp_path / "straight")

    stop = StopFlag()
    batches_seen = []

    def stop_in_epoch_two(done: int, total: int) -> None:
        batches_seen.append(done)
        if len(batches_seen) == total + 5:  # 5 batches into the second epoch
            stop.request()

    _, result = weights_after(
        TRAINING, corpus, tmp_path / "stopped", stop=stop, on_batch=stop_in_epoch_two
    )
    assert result.status == "interrupted"  # type: ignore[attr-defined]
    assert result.checkpoint_path.name == "epoch-0001-batch-000005.ckpt"  # type: ignore[attr-defined]

    state = resume_from_file(result.checkpoint_path)  # type: ignore[attr-defined]
    assert (state.epoch, state.batches_done) == (1, 5)
    resumed = fit(state, corpus[1], checkpoint_dir=tmp_path / "stopped")
    assert resumed.status == "done"
    assert [m.epoch for m in resumed.metrics] == [1, 2, 3]
    for a, b in zip(
        uninterrupted, [keras.ops.convert_to_numpy(v) for v in state.model.variables], strict=True
    ):
        assert np.array_equal(a, b)


def test_it_refuses_a_model_whose_classes_do_not_fit_the_vocabulary(corpus) -> None:  # type: ignore[no-untyped-def]
    vocabulary, _ = corpus
    model = new_model(TINY, Vocabulary.build(["ab"]), training=TRAINING)
    with pytest.raises(TrainingError, match="classes but the vocabulary has"):
        start_training(model, vocabulary=vocabulary, config=TINY, training=TRAINING)


def test_it_refuses_a_batch_size_of_zero() -> None:
    with pytest.raises(TrainingError, match=r"^batch size must be at least 1, got 0$"):
        TrainingConfig(batch_size=0)

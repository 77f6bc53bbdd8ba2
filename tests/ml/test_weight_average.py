"""Weight averaging: a run's result is a warmed-up moving average of the weights it trains,
updated after every batch, carried by its checkpoints, and what it evaluates and exports."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import pytest

from generator.ml.averaging import weight_averages
from generator.ml.dataset import DatasetSplit, build_dataset
from generator.ml.fit import (
    StopFlag,
    TrainingConfig,
    TrainingError,
    fit,
    new_model,
    resume_from_file,
    serving_model,
    start_training,
)
from generator.ml.vocab import Vocabulary
from tests.ml.conftest import TINY

# A low cap, reached after 8 updates: the tests see both the warm-up and the cap.
AVERAGED = TrainingConfig(
    epochs=2, batch_size=32, seed=3, validation_split=0.1, objective="last", weight_average=0.5
)


@pytest.fixture(scope="module")
def corpus(shakespeare_texts: list[str]) -> tuple[Vocabulary, DatasetSplit]:
    texts = shakespeare_texts[:10]
    vocabulary = Vocabulary.build(texts)
    return vocabulary, build_dataset(
        texts, vocabulary=vocabulary, config=TINY, validation_split=0.1, seed=3
    )


def _trainable(model: keras.Model) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]


def warm_momentum(updates: int, cap: float) -> float:
    """The module's schedule, written out: the first update copies, then (1 + k) / (10 + k)
    after k updates (0.5 after 8, 0.9 after 80), at most `cap`."""
    return 0.0 if updates == 0 else min(cap, (1.0 + updates) / (10.0 + updates))


def test_the_average_follows_every_batchs_weights_with_the_warmed_up_momentum(
    corpus: tuple[Vocabulary, DatasetSplit], tmp_path: Path
) -> None:
    vocabulary, dataset = corpus
    state = start_training(
        new_model(TINY, vocabulary, training=AVERAGED),
        vocabulary=vocabulary,
        config=TINY,
        training=AVERAGED,
    )
    assert weight_averages(state.model) is None  # no update yet: the weights are their own
    expected: list[np.ndarray] = []
    updates = 0

    paths = [v.path for v in state.model.trainable_variables]

    def follow(done: int, total: int) -> None:
        # After every batch, not only at the end: later updates wash out early differences.
        nonlocal expected, updates
        weights = [w.astype(np.float64) for w in _trainable(state.model)]
        momentum = warm_momentum(updates, 0.5)
        expected = (
            weights
            if not expected
            else [momentum * a + (1 - momentum) * w for a, w in zip(expected, weights, strict=True)]
        )
        updates += 1
        averages = weight_averages(state.model)
        assert averages is not None
        for path, reference in zip(paths, expected, strict=True):
            np.testing.assert_allclose(averages[path], reference, rtol=1e-4, atol=1e-6)

    fit(state, dataset, checkpoint_dir=tmp_path, on_batch=follow)

    averages = weight_averages(state.model)
    assert averages is not None and updates > 10
    raw = dict(zip(paths, _trainable(state.model), strict=True))
    assert any(not np.allclose(raw[p], averages[p]) for p in paths)  # two different things


def test_the_runs_result_is_the_average_and_its_validation_loss_is_the_averages(
    corpus: tuple[Vocabulary, DatasetSplit], tmp_path: Path
) -> None:
    vocabulary, dataset = corpus
    one_epoch = TrainingConfig(**{**AVERAGED.to_dict(), "epochs": 1})
    state = start_training(
        new_model(TINY, vocabulary, training=one_epoch),
        vocabulary=vocabulary,
        config=TINY,
        training=one_epoch,
    )
    result = fit(state, dataset, checkpoint_dir=tmp_path)

    served = serving_model(state)
    averages = weight_averages(state.model)
    assert averages is not None and served is not state.model
    by_path = {v.path: keras.ops.convert_to_numpy(v) for v in served.trainable_variables}
    assert by_path.keys() == averages.keys()
    for path, value in averages.items():
        assert np.array_equal(by_path[path], value)
    probabilities = served.predict(dataset.validation.inputs, verbose=0)
    picked = probabilities[np.arange(len(dataset.validation)), dataset.validation.targets]
    assert result.metrics[0].validation_loss == pytest.approx(-np.log(picked).mean(), rel=1e-4)


@pytest.mark.slow
def test_a_run_stopped_mid_epoch_resumes_the_same_average(
    corpus: tuple[Vocabulary, DatasetSplit], tmp_path: Path
) -> None:
    vocabulary, dataset = corpus

    def run(directory: Path, **fit_kwargs: object) -> object:
        state = start_training(
            new_model(TINY, vocabulary, training=AVERAGED),
            vocabulary=vocabulary,
            config=TINY,
            training=AVERAGED,
        )
        result = fit(state, dataset, checkpoint_dir=directory, **fit_kwargs)  # type: ignore[arg-type]
        return state, result

    straight, _ = run(tmp_path / "straight")
    stop = StopFlag()
    seen: list[int] = []

    def stop_in_epoch_two(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == total + 3:
            stop.request()

    _, stopped = run(tmp_path / "stopped", stop=stop, on_batch=stop_in_epoch_two)
    assert stopped.status == "interrupted"  # type: ignore[attr-defined]
    resumed = resume_from_file(stopped.checkpoint_path)  # type: ignore[attr-defined]
    fit(resumed, dataset, checkpoint_dir=tmp_path / "stopped")

    expected = weight_averages(straight.model)  # type: ignore[attr-defined]
    got = weight_averages(resumed.model)
    assert expected is not None and got is not None
    for path, value in expected.items():
        assert np.array_equal(got[path], value)


def test_a_run_without_an_average_evaluates_and_exports_its_trained_weights(
    corpus: tuple[Vocabulary, DatasetSplit], tmp_path: Path
) -> None:
    vocabulary, dataset = corpus
    plain = TrainingConfig(**{**AVERAGED.to_dict(), "epochs": 1, "weight_average": None})
    state = start_training(
        new_model(TINY, vocabulary, training=plain),
        vocabulary=vocabulary,
        config=TINY,
        training=plain,
    )
    fit(state, dataset, checkpoint_dir=tmp_path)
    assert weight_averages(state.model) is None
    assert serving_model(state) is state.model


def test_runs_average_by_default_and_checkpoints_from_before_averaging_resume_without() -> None:
    assert TrainingConfig().weight_average == 0.99
    saved = {k: v for k, v in AVERAGED.to_dict().items() if k != "weight_average"}
    assert TrainingConfig.from_dict(saved).weight_average is None


@pytest.mark.parametrize("momentum", [0, 0.0, 1, 1.0, -0.5, math.nan, True, "0.9"])
def test_a_weight_average_outside_0_and_1_is_refused_in_one_line(momentum: object) -> None:
    with pytest.raises(TrainingError, match=r"^weight average must be a momentum between 0 and 1"):
        TrainingConfig(weight_average=momentum)  # type: ignore[arg-type]

"""On TensorFlow an epoch runs through our compiled step, not Keras' `fit`: same training."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from generator.ml.backend import backend_name
from generator.ml.config import ModelConfig
from generator.ml.dataset import Windows
from generator.ml.fit import (
    StopFlag,
    TrainingConfig,
    TrainingState,
    _predicted_targets,
    epoch_order,
    new_model,
    start_training,
    train_one_epoch,
    training_windows,
)
from generator.ml.vocab import Vocabulary
from tests.ml.conftest import TINY

pytestmark = pytest.mark.skipif(
    backend_name() != "tensorflow", reason="the compiled step is TensorFlow's"
)

# Dropout and the weight average on: every piece of state a batch moves is compared.
LAST = TrainingConfig(
    epochs=2, batch_size=32, dropout=0.1, seed=3, objective="last", weight_average=0.9
)
ALL_POSITIONS = TrainingConfig(
    **{**LAST.to_dict(), "objective": "all-positions", "stride": 5, "batch_size": 16}
)


def _state_and_windows(
    training: TrainingConfig, texts: list[str], config: ModelConfig = TINY
) -> tuple[TrainingState, Windows]:
    vocabulary = Vocabulary.build(texts)
    model = new_model(config, vocabulary, training=training)
    state = start_training(model, vocabulary=vocabulary, config=config, training=training)
    return state, training_windows(texts, vocabulary=vocabulary, config=config, training=training)


def _values(variables: list[object]) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v) for v in variables]


@pytest.mark.parametrize("training", [LAST, ALL_POSITIONS], ids=["last", "all-positions"])
def test_an_epoch_trains_the_weights_and_optimizer_state_that_keras_fit_trains(
    shakespeare_texts: list[str], training: TrainingConfig
) -> None:
    texts = shakespeare_texts[:12]
    ours, windows = _state_and_windows(training, texts)
    reference, _ = _state_and_windows(training, texts)
    for a, b in zip(_values(ours.model.variables), _values(reference.model.variables), strict=True):
        assert np.array_equal(a, b)

    loss, trained, _ = train_one_epoch(ours, windows)

    # The same epoch through Keras' fit: the same shuffle, whole batches, the same rate.
    batch = training.batch_size
    order = epoch_order(len(windows), seed=training.seed, epoch_index=0)
    order = order[: len(windows) // batch * batch]
    targets = _predicted_targets(reference.model, windows)
    reference.model.optimizer.learning_rate = training.learning_rate
    history = reference.model.fit(
        windows.inputs[order], targets[order], batch_size=batch, shuffle=False, verbose=0
    )

    assert trained == len(order)
    assert loss == pytest.approx(history.history["loss"][-1], rel=1e-5)
    for what in ("variables", "optimizer"):
        mine = ours.model.variables if what == "variables" else ours.model.optimizer.variables
        theirs = (
            reference.model.variables
            if what == "variables"
            else reference.model.optimizer.variables
        )
        for a, b in zip(_values(mine), _values(theirs), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=what)


def test_a_stop_ends_the_epoch_after_the_batch_it_came_in_and_counts_only_those(
    shakespeare_texts: list[str],
) -> None:
    state, windows = _state_and_windows(LAST, shakespeare_texts[:12])
    stop = StopFlag()
    seen: list[tuple[int, int]] = []

    def stop_at_the_third(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 3:
            stop.request("SIGTERM received")

    loss, trained, _ = train_one_epoch(state, windows, stop=stop, on_batch=stop_at_the_third)

    total = len(windows) // LAST.batch_size
    assert total > 3
    assert seen == [(1, total), (2, total), (3, total)]
    assert (state.batches_done, trained) == (3, 3 * LAST.batch_size)
    assert np.isfinite(loss) and state.partial_loss_sum == pytest.approx(3 * loss)
    assert int(keras.ops.convert_to_numpy(state.model.optimizer.iterations)) == 3

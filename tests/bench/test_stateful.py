"""bench/stateful.py scores exact sampling with the held-out loss every run reports, and
stateful mode on the same targets, the same as exact where their windows hold the same tokens."""

from __future__ import annotations

import keras
import numpy as np

from bench.stateful import losses
from generator.ml.dataset import make_windows
from generator.ml.fit import evaluate
from generator.ml.weights import load_pretrained

TEXTS = [
    "Out the window, I can see the city lights tonight and every one of them is mine",
    "Short one",
]


def test_exact_is_the_reported_held_out_loss_and_stateful_differs_only_past_the_first_target() -> (
    None
):
    loaded = load_pretrained()
    loaded.model.compile(loss=keras.losses.SparseCategoricalCrossentropy())
    result = losses(loaded, TEXTS)
    windows = make_windows(TEXTS, vocabulary=loaded.vocabulary, config=loaded.config)

    assert len(result["exact"]) == len(result["stateful"]) == len(windows)
    yardstick = evaluate(loaded.model, windows)
    assert yardstick is not None
    assert abs(float(result["exact"].mean()) - yardstick) < 1e-4
    first = result["position"] == 1  # `<s>` alone after the padding: the same window for both
    np.testing.assert_allclose(result["stateful"][first], result["exact"][first], atol=1e-4)
    past = result["position"] > 40  # a longer history than textgenrnn's window: not the same
    assert past.any() and np.abs(result["stateful"][past] - result["exact"][past]).max() > 1e-3

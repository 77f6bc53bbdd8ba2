"""Our Keras 3 network gives textgenrnn's own probabilities for the same weights and windows.

The reference numbers come from textgenrnn 2.0.0 running on tf_keras (Keras 2) in a separate
venv: bench/textgenrnn_ref/make_fidelity_fixture.py regenerates the fixture.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from generator.ml.config import ModelConfig
from generator.ml.network import build_model, count_parameters
from generator.ml.weights import LoadedModel, assign_textgenrnn_weights
from tests.ml.conftest import FIXTURES

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "textgenrnn_reference.npz") as archive:
        return {name: archive[name] for name in archive.files}


def test_pretrained_network_has_textgenrnns_shape(pretrained: LoadedModel) -> None:
    model = pretrained.model
    assert count_parameters(model) == 461_693
    assert model.get_layer("embedding").get_weights()[0].shape == (465, 100)
    assert model.get_layer("rnn_1").get_weights()[1].shape == (128, 512)
    assert model.get_layer("rnn_concat").output.shape[-1] == 356
    assert model.get_layer("attention").get_weights()[0].shape == (356, 1)
    assert model.get_layer("output").get_weights()[0].shape == (356, 465)
    assert pretrained.vocabulary.num_classes == 465


def test_it_predicts_textgenrnns_pretrained_probabilities(
    pretrained: LoadedModel, reference: dict[str, np.ndarray]
) -> None:
    windows = reference["pretrained_windows"]
    ours = pretrained.model.predict(windows, verbose=0)
    assert ours.shape == reference["pretrained_probabilities"].shape
    assert np.abs(ours - reference["pretrained_probabilities"]).max() < TOLERANCE


def test_it_reads_a_bidirectional_model_saved_by_keras_2(reference: dict[str, np.ndarray]) -> None:
    config = ModelConfig.from_textgenrnn_json(json.loads(reference["bidir_config"].tobytes()))
    model = build_model(config, int(reference["bidir_classes"]))
    assign_textgenrnn_weights(model, FIXTURES / "textgenrnn_bidir_weights.hdf5")
    ours = model.predict(reference["bidir_windows"], verbose=0)
    assert np.abs(ours - reference["bidir_probabilities"]).max() < TOLERANCE

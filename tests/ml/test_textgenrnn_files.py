"""textgenrnn's file trio: a model round-trips through it; mismatched files are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generator.ml.config import ModelConfigError
from generator.ml.network import build_model
from generator.ml.vocab import Vocabulary
from generator.ml.weights import (
    TextgenrnnFiles,
    WeightsError,
    load_textgenrnn,
    pretrained_files,
    save_textgenrnn,
)
from tests.ml.conftest import TINY


def tiny_trio(directory: Path) -> TextgenrnnFiles:
    vocabulary = Vocabulary.build(["the cat sat on the mat"])
    model = build_model(TINY, vocabulary.num_classes)
    return save_textgenrnn(model, vocabulary=vocabulary, config=TINY, directory=directory)


def test_pretrained_files_come_from_the_installed_distribution() -> None:
    files = pretrained_files()
    assert files.weights.name == "textgenrnn_weights.hdf5"
    assert files.vocab.name == "textgenrnn_vocab.json"


def test_an_exported_trio_loads_back_with_identical_predictions(pretrained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = save_textgenrnn(
        pretrained.model,
        vocabulary=pretrained.vocabulary,
        config=pretrained.config,
        directory=tmp_path,
        name="lyrics",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lyrics_config.json",
        "lyrics_vocab.json",
        "lyrics_weights.hdf5",
    ]
    assert json.loads(files.config.read_text())["max_length"] == 40  # type: ignore[union-attr]
    loaded = load_textgenrnn(files)
    windows = np.random.default_rng(0).integers(0, 465, (8, 40)).astype(np.int32)
    assert np.array_equal(
        loaded.model.predict(windows, verbose=0), pretrained.model.predict(windows, verbose=0)
    )
    assert loaded.vocabulary == pretrained.vocabulary


def test_it_refuses_a_vocabulary_that_does_not_fit_the_weights(tmp_path: Path) -> None:
    files = tiny_trio(tmp_path)
    vocab = json.loads(files.vocab.read_text())
    vocab["z"] = len(vocab) + 1
    files.vocab.write_text(json.dumps(vocab))
    with pytest.raises(WeightsError) as error:
        load_textgenrnn(files)
    message = str(error.value)
    assert "\n" not in message
    assert "has 12 tokens but the weights are for 11" in message


def test_it_refuses_a_config_that_does_not_fit_the_weights(tmp_path: Path) -> None:
    files = tiny_trio(tmp_path)
    assert files.config is not None
    config = json.loads(files.config.read_text())
    files.config.write_text(json.dumps({**config, "rnn_size": 32}))
    with pytest.raises(WeightsError, match="layer 'rnn_1': the file has shape"):
        load_textgenrnn(files)


def test_it_refuses_a_config_with_max_length_zero(tmp_path: Path) -> None:
    files = tiny_trio(tmp_path)
    assert files.config is not None
    config = json.loads(files.config.read_text())
    files.config.write_text(json.dumps({**config, "max_length": 0}))
    with pytest.raises(ModelConfigError, match=r"^max_length must be at least 1, got 0$"):
        load_textgenrnn(files)


def test_it_refuses_a_file_that_is_not_hdf5(tmp_path: Path) -> None:
    files = tiny_trio(tmp_path)
    files.weights.write_bytes(b"not hdf5 at all")
    with pytest.raises(WeightsError, match="is not a readable HDF5 weights file"):
        load_textgenrnn(files)

"""textgenrnn's file trio (`*_weights.hdf5`, `*_vocab.json`, `*_config.json`) in and out.

The weights file is Keras 2's `save_weights` HDF5 layout: root attrs `layer_names`, one group per
layer with a `weight_names` attr, datasets at `<layer>/<weight name>`. The pretrained file
(keras_version 2.1.5) stores its LSTMs in CuDNNLSTM layout, which Keras 3 refuses; we convert
them as Keras 2's legacy loader (`_convert_rnn_weights`) did. textgenrnn itself is never
imported: its shipped files are found through the distribution's metadata.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import keras
import numpy as np

from common.files import atomic_path, write_bytes_atomically
from generator.ml.config import ModelConfig
from generator.ml.network import build_model
from generator.ml.vocab import Vocabulary, VocabularyError
from generator.ml.weight_files import (
    TextgenrnnFiles,
    WeightsError,
    pretrained_files,
    read_config,
    read_layer_weights,
    standard_lstm_weights,
)

# Re-exported: the Keras-free file reading lives in weight_files, callers import it from here too.
__all__ = [
    "LoadedModel",
    "TextgenrnnFiles",
    "WeightsError",
    "assign_textgenrnn_weights",
    "load_pretrained",
    "load_textgenrnn",
    "pretrained_files",
    "read_layer_weights",
    "save_textgenrnn",
    "save_textgenrnn_weights",
    "standard_lstm_weights",
]

# Written into exported files: the Keras 2 format version textgenrnn's own files carry.
KERAS2_VERSION = "2.1.5"


@dataclass(frozen=True)
class LoadedModel:
    model: keras.Model
    vocabulary: Vocabulary
    config: ModelConfig


# -- reading ---------------------------------------------------------------------------------


def assign_textgenrnn_weights(model: keras.Model, path: Path) -> None:
    """Put a textgenrnn weights file's arrays into a model built by `build_model`."""
    layers = read_layer_weights(path)
    for layer in model.layers:
        expected = layer.get_weights()
        if not expected:
            continue
        if layer.name not in layers:
            raise WeightsError(f"{path} has no weights for layer {layer.name!r}")
        arrays = layers[layer.name]
        if isinstance(layer, keras.layers.LSTM | keras.layers.Bidirectional):
            arrays = _convert_rnn(layer.name, arrays)
        if len(arrays) != len(expected):
            raise WeightsError(
                f"layer {layer.name!r}: the file has {len(arrays)} arrays, "
                f"the model expects {len(expected)}"
            )
        for array, target in zip(arrays, expected, strict=True):
            if array.shape != target.shape:
                raise WeightsError(_shape_message(layer.name, array.shape, target.shape))
        layer.set_weights(arrays)


def _convert_rnn(layer_name: str, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    if len(arrays) % 3 != 0:
        raise WeightsError(f"layer {layer_name!r} has {len(arrays)} arrays; an LSTM has 3")
    converted: list[np.ndarray] = []
    # A Bidirectional layer stores the forward LSTM's three arrays, then the backward one's.
    for start in range(0, len(arrays), 3):
        converted.extend(standard_lstm_weights(*arrays[start : start + 3]))
    return converted


def _shape_message(layer: str, found: tuple[int, ...], expected: tuple[int, ...]) -> str:
    if layer in ("embedding", "output"):
        classes = found[0] if layer == "embedding" else found[-1]
        wanted = expected[0] if layer == "embedding" else expected[-1]
        return (
            f"the weights are for {classes} classes ({classes - 1} tokens) but the vocabulary "
            f"has {wanted - 1} tokens"
        )
    return f"layer {layer!r}: the file has shape {found}, the config expects {expected}"


# -- the trio --------------------------------------------------------------------------------


def load_textgenrnn(
    files: TextgenrnnFiles,
    *,
    dropout: float = 0.0,
    seed: int | None = None,
    unroll: bool = False,
) -> LoadedModel:
    """Build our model from a textgenrnn trio (config optional: defaults are the pretrained's)."""
    config = read_config(files.config) if files.config is not None else ModelConfig()
    vocabulary = Vocabulary.load(files.vocab, word_level=config.word_level)
    embedding = read_layer_weights(files.weights).get("embedding")
    if embedding and embedding[0].shape[0] != vocabulary.num_classes:
        raise WeightsError(
            f"vocabulary {files.vocab.name} has {vocabulary.size} tokens but the weights are "
            f"for {embedding[0].shape[0] - 1}"
        )
    model = build_model(config, vocabulary.num_classes, dropout=dropout, seed=seed, unroll=unroll)
    assign_textgenrnn_weights(model, files.weights)
    return LoadedModel(model=model, vocabulary=vocabulary, config=config)


def load_pretrained(
    *, dropout: float = 0.0, seed: int | None = None, unroll: bool = False
) -> LoadedModel:
    """textgenrnn's pretrained 2x128 char model (465 classes, 461,693 parameters)."""
    return load_textgenrnn(pretrained_files(), dropout=dropout, seed=seed, unroll=unroll)


def save_textgenrnn(
    model: keras.Model,
    *,
    vocabulary: Vocabulary,
    config: ModelConfig,
    directory: Path,
    name: str | None = None,
) -> TextgenrnnFiles:
    """Write `<name>_weights.hdf5`, `<name>_vocab.json`, `<name>_config.json` atomically."""
    embedding_rows = model.get_layer("embedding").get_weights()[0].shape[0]
    if embedding_rows != vocabulary.num_classes:
        raise VocabularyError(
            f"the model has {embedding_rows} classes but the vocabulary has "
            f"{vocabulary.size} tokens (+1 padding)"
        )
    stem = name or config.name
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = TextgenrnnFiles(
        weights=directory / f"{stem}_weights.hdf5",
        vocab=directory / f"{stem}_vocab.json",
        config=directory / f"{stem}_config.json",
    )
    save_textgenrnn_weights(model, files.weights)
    _write_json(files.vocab, vocabulary.to_textgenrnn_json())
    assert files.config is not None
    _write_json(files.config, {**config.to_textgenrnn_json(), "name": stem})
    return files


def _write_json(path: Path, values: dict[str, Any]) -> None:
    # ensure_ascii=False: textgenrnn writes its vocab/config this way.
    write_bytes_atomically(path, json.dumps(values, ensure_ascii=False).encode("utf-8"))


def save_textgenrnn_weights(model: keras.Model, path: Path) -> None:
    """Keras 2 `save_weights` layout with standard (non-CuDNN) LSTM arrays, written atomically."""
    layers = [layer for layer in model.layers if layer.name != "dropout"]
    with atomic_path(Path(path)) as part, h5py.File(part, "w") as handle:
        handle.attrs["backend"] = b"tensorflow"
        handle.attrs["keras_version"] = KERAS2_VERSION.encode()
        handle.attrs["layer_names"] = np.array([layer.name.encode() for layer in layers])
        for layer in layers:
            group = handle.create_group(layer.name)
            arrays = layer.get_weights()
            names = _keras2_weight_names(layer, len(arrays))
            group.attrs["weight_names"] = np.array([n.encode() for n in names], dtype="S")
            for weight_name, array in zip(names, arrays, strict=True):
                group.create_dataset(weight_name, data=np.asarray(array, dtype=np.float32))


def _keras2_weight_names(layer: keras.layers.Layer, count: int) -> list[str]:
    name = layer.name
    if count == 0:
        return []
    if isinstance(layer, keras.layers.Bidirectional):
        return [
            f"{name}/{direction}_{name}/{weight}:0"
            for direction in ("forward", "backward")
            for weight in ("kernel", "recurrent_kernel", "bias")
        ]
    if isinstance(layer, keras.layers.LSTM):
        return [f"{name}/{weight}:0" for weight in ("kernel", "recurrent_kernel", "bias")]
    if isinstance(layer, keras.layers.Embedding):
        return [f"{name}/embeddings:0"]
    if isinstance(layer, keras.layers.Dense):
        return [f"{name}/kernel:0", f"{name}/bias:0"]
    if layer.name == "attention":
        return [f"{name}/attention_W:0"]
    return [f"{name}/weight_{index}:0" for index in range(count)]

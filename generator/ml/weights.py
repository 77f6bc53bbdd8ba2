"""textgenrnn's file trio (`*_weights.hdf5`, `*_vocab.json`, `*_config.json`) in and out.

The weights file is Keras 2's `save_weights` HDF5 layout: root attrs `layer_names`, one group per
layer with a `weight_names` attr, datasets at `<layer>/<weight name>`. The pretrained file
(keras_version 2.1.5) stores its LSTMs in CuDNNLSTM layout, which Keras 3 refuses; we convert
them as Keras 2's legacy loader (`_convert_rnn_weights`) did. textgenrnn itself is never
imported: its shipped files are found through the distribution's metadata.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import keras
import numpy as np

from generator.ml.checkpoint import atomic_output
from generator.ml.config import MLError, ModelConfig, ModelConfigError
from generator.ml.network import build_model
from generator.ml.vocab import Vocabulary, VocabularyError

TEXTGENRNN_DISTRIBUTION = "textgenrnn"
PRETRAINED_WEIGHTS = "textgenrnn/textgenrnn_weights.hdf5"
PRETRAINED_VOCAB = "textgenrnn/textgenrnn_vocab.json"
# Written into exported files: the Keras 2 format version textgenrnn's own files carry.
KERAS2_VERSION = "2.1.5"
_LSTM_GATES = 4


class WeightsError(MLError):
    """A weights file is missing, malformed, or does not fit the model/vocabulary/config."""


@dataclass(frozen=True)
class TextgenrnnFiles:
    """Paths of a textgenrnn trio; the pretrained model ships without a config file."""

    weights: Path
    vocab: Path
    config: Path | None = None


@dataclass(frozen=True)
class LoadedModel:
    model: keras.Model
    vocabulary: Vocabulary
    config: ModelConfig


def pretrained_files() -> TextgenrnnFiles:
    """The pretrained weights and vocabulary inside the installed textgenrnn distribution."""
    try:
        distribution = importlib.metadata.distribution(TEXTGENRNN_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise WeightsError(
            "the textgenrnn distribution is not installed; it ships the pretrained weights "
            "(pip install --no-deps textgenrnn==2.0.0)"
        ) from None
    found = {}
    for relative in (PRETRAINED_WEIGHTS, PRETRAINED_VOCAB):
        path = Path(str(distribution.locate_file(relative)))
        if not path.is_file():
            raise WeightsError(f"the textgenrnn distribution lacks {relative}")
        found[relative] = path
    return TextgenrnnFiles(weights=found[PRETRAINED_WEIGHTS], vocab=found[PRETRAINED_VOCAB])


# -- CuDNN -> standard LSTM ------------------------------------------------------------------


def _per_gate(kernel: np.ndarray, transform: Any) -> np.ndarray:
    return np.hstack([transform(block) for block in np.hsplit(kernel, _LSTM_GATES)])


def standard_lstm_weights(
    kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray
) -> list[np.ndarray]:
    """[kernel, recurrent_kernel, bias] in Keras' LSTM layout, converting CuDNN layout if needed.

    CuDNN keeps separate input and recurrent biases (8 * units); Keras 2 summed the halves and
    re-laid each gate block of the kernels (input: `k.T.reshape(k.shape, order='F')`,
    recurrent: `k.T`), exactly as here.
    """
    units = recurrent_kernel.shape[0]
    if bias.shape == (2 * _LSTM_GATES * units,):
        return [
            _per_gate(kernel, lambda k: k.T.reshape(k.shape, order="F")),
            _per_gate(recurrent_kernel, lambda k: k.T),
            np.sum(np.split(bias, 2, axis=0), axis=0),
        ]
    if bias.shape == (_LSTM_GATES * units,):
        return [kernel, recurrent_kernel, bias]
    raise WeightsError(f"LSTM bias of shape {bias.shape} fits neither LSTM nor CuDNNLSTM")


# -- reading ---------------------------------------------------------------------------------


def read_layer_weights(path: Path) -> dict[str, list[np.ndarray]]:
    """Raw arrays per layer name, in each layer's `weight_names` order."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist")
    try:
        with h5py.File(path, "r") as handle:
            root: h5py.Group = handle
            # model.save() (full model) nests the weights under model_weights.
            if "layer_names" not in root.attrs and "model_weights" in root:
                root = root["model_weights"]
            if "layer_names" not in root.attrs:
                raise WeightsError(f"{path} is not a Keras 2 weights file (no layer_names)")
            layers: dict[str, list[np.ndarray]] = {}
            for raw_name in root.attrs["layer_names"]:
                name = _text(raw_name)
                group = root[name]
                names = [_text(n) for n in group.attrs.get("weight_names", [])]
                layers[name] = [np.asarray(group[n], dtype=np.float32) for n in names]
            return layers
    except OSError:
        raise WeightsError(f"{path} is not a readable HDF5 weights file") from None
    except KeyError as exc:
        raise WeightsError(f"{path} is incomplete: {exc.args[0]}") from None


def _text(value: Any) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


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
    config = _read_config(files.config) if files.config is not None else ModelConfig()
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


def _read_config(path: Path) -> ModelConfig:
    try:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelConfigError(f"cannot read config {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelConfigError(f"config {path} is not valid JSON") from None
    return ModelConfig.from_textgenrnn_json(values)


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
    with atomic_output(path) as part:
        # ensure_ascii=False: textgenrnn writes its vocab/config this way.
        part.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")


def save_textgenrnn_weights(model: keras.Model, path: Path) -> None:
    """Keras 2 `save_weights` layout with standard (non-CuDNN) LSTM arrays, written atomically."""
    layers = [layer for layer in model.layers if layer.name != "dropout"]
    with atomic_output(Path(path)) as part, h5py.File(part, "w") as handle:
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

"""textgenrnn's weights file read with h5py alone: no Keras, so a web worker can load it.

The weights file is Keras 2's `save_weights` HDF5 layout: root attrs `layer_names`, one group per
layer with a `weight_names` attr, datasets at `<layer>/<weight name>`. The pretrained file
(keras_version 2.1.5) stores its LSTMs in CuDNN layout; `standard_lstm_weights` converts them
as Keras 2's legacy loader (`_convert_rnn_weights`) did. textgenrnn itself is never imported: its
shipped files are found through the distribution's metadata.
"""

from __future__ import annotations

import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from generator.ml.config import MLError, ModelConfig, ModelConfigError

TEXTGENRNN_DISTRIBUTION = "textgenrnn"
PRETRAINED_WEIGHTS = "textgenrnn/textgenrnn_weights.hdf5"
PRETRAINED_VOCAB = "textgenrnn/textgenrnn_vocab.json"
_LSTM_GATES = 4


class WeightsError(MLError):
    """A weights file is missing, malformed, or does not fit the model/vocabulary/config."""


@dataclass(frozen=True)
class TextgenrnnFiles:
    """Paths of a textgenrnn trio; the pretrained model ships without a config file."""

    weights: Path
    vocab: Path
    config: Path | None = None


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


def read_config(path: Path) -> ModelConfig:
    try:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelConfigError(f"cannot read config {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelConfigError(f"config {path} is not valid JSON") from None
    return ModelConfig.from_textgenrnn_json(values)

"""Held-out loss: textgenrnn's training objective, measured on lines the model never trained on.

The held-out texts (`verses.held_out_texts`: the held-out verses' lines for a line model, the
held-out verses whole, lines joined by newlines, for a verse model) become textgenrnn's windows
(`dataset.make_windows`: each text wrapped in `<s>`, every next token predicted from the
`max_length` tokens before it, 40 for the pretrained network), and the loss is the mean
cross-entropy (natural log) of the true next token under the model's softmax: the number
training reports as validation loss. Like Keras' loss on a softmax layer, it is computed from
the output layer's logits (in float64), so a near-zero probability costs its true log, not a
clipped one. Bits per character is the same mean in base 2 (the `<s>` or newline ending each
line counts as a character).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np

from generator.ml.config import ModelConfig
from generator.ml.dataset import make_windows
from generator.ml.vocab import Vocabulary

BATCH = 1024


@dataclass(frozen=True)
class HeldOutLoss:
    loss: float
    bits_per_char: float
    windows: int


def held_out_loss(
    model: keras.Model,
    *,
    vocabulary: Vocabulary,
    config: ModelConfig,
    lines: Sequence[str],
) -> HeldOutLoss | None:
    """The model's mean next-token loss on the lines' windows; None when they make none."""
    windows = make_windows(lines, vocabulary=vocabulary, config=config)
    if len(windows) == 0:
        return None
    # textgenrnn's network ends in attention -> Dense("output", softmax): take the attention
    # features and apply the output layer's weights ourselves, to get the logits.
    features = keras.Model(model.inputs[0], model.get_layer("attention").output)
    kernel, bias = (
        np.asarray(w, dtype=np.float64) for w in model.get_layer("output").get_weights()
    )
    total = 0.0
    for start in range(0, len(windows), BATCH):
        inputs = windows.inputs[start : start + BATCH]
        targets = windows.targets[start : start + BATCH]
        attended = np.asarray(keras.ops.convert_to_numpy(features(inputs, training=False)))
        logits = attended.astype(np.float64) @ kernel + bias
        top = logits.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        total += float((log_norm - logits[np.arange(len(targets)), targets]).sum())
    loss = total / len(windows)
    return HeldOutLoss(loss=loss, bits_per_char=loss / math.log(2), windows=len(windows))

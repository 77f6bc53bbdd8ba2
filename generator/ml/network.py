"""textgenrnn's network in Keras 3, backend-neutral (only keras.ops, so TensorFlow and JAX).

input (batch, max_length) int32 -> embedding -> rnn_1 .. rnn_N LSTMs (each fed by the previous)
-> rnn_concat = [embedding, rnn_1, .., rnn_N] -> attention-weighted average over time
-> output dense softmax (batch, num_classes). Layer names match textgenrnn's weights file.

`all_positions=True` builds the same layers with the same weights, but the attention is causal
(at position t it averages positions 0..t only) and the output is a softmax at every position,
(batch, max_length, num_classes): one window then teaches every next token, not only the last.
At the last position it is exactly textgenrnn's network, so either model's weights load in the
other and in textgenrnn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
from keras import ops

from generator.ml.config import ModelConfig, ModelConfigError

# Keras 2's K.epsilon(), which textgenrnn's attention adds to its normaliser.
_ATTENTION_EPSILON = 1e-7


@keras.saving.register_keras_serializable(package="raplyrics")
class AttentionWeightedAverage(keras.layers.Layer):  # type: ignore[misc]  # Keras is untyped
    """textgenrnn's attention: softmax over time of x @ W, then the weighted sum of x over time.

    Computed exactly as textgenrnn does (max trick, then `/ (sum + epsilon)`) so that
    probabilities match its model to float32 rounding.

    `causal=True` returns one average per position t, over positions 0..t, each shifted by the
    running maximum of the logits up to t and normalised with the same epsilon: at the last
    position that is textgenrnn's average, operation for operation. It is computed as a
    (time x time) lower-triangular weight matrix times x: max_length is small (40), and one
    batched matmul is faster than a scan on every backend.

    `last_positions=k` (causal only) returns the averages of the last k positions only: training
    windows whose targets all lie there (all-positions windows with stride k) then pay for k
    rows of this matmul and of the output layer after it, not max_length.
    """

    def __init__(
        self, causal: bool = False, last_positions: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if last_positions is not None and (not causal or last_positions < 1):
            raise ModelConfigError("last_positions needs the causal attention and at least 1")
        self.causal = bool(causal)
        self.last_positions = None if last_positions is None else int(last_positions)
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        features = input_shape[2]
        assert features is not None  # InputSpec(ndim=3) with a known feature size
        # Keras 2's 'uniform' initializer: U(-0.05, 0.05).
        self.W = self.add_weight(
            shape=(int(features), 1),
            name=f"{self.name}_W",
            initializer=keras.initializers.RandomUniform(-0.05, 0.05),
            trainable=True,
        )

    def call(self, inputs: Any) -> Any:
        logits = ops.squeeze(ops.matmul(inputs, self.W), axis=-1)
        if self.causal:
            return self._causal_average(inputs, logits)
        weights = ops.exp(logits - ops.max(logits, axis=-1, keepdims=True))
        weights = weights / (ops.sum(weights, axis=1, keepdims=True) + _ATTENTION_EPSILON)
        return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)

    def _causal_average(self, inputs: Any, logits: Any) -> Any:
        steps = int(inputs.shape[1])  # the window length, fixed by the model's input
        rows = steps if self.last_positions is None else min(self.last_positions, steps)
        # visible[t, s]: output position t (the last `rows` ones) may look at position s <= t.
        visible = ops.expand_dims(
            ops.convert_to_tensor(np.tril(np.ones((steps, steps), dtype=bool))[steps - rows :]), 0
        )
        per_position = ops.broadcast_to(
            ops.expand_dims(logits, 1), (ops.shape(logits)[0], rows, steps)
        )
        # Hidden positions become the lowest float: they never win the running maximum, and
        # exp() of them is exactly 0 with a zero gradient (no inf * 0 = NaN in the backward pass).
        lowest = ops.convert_to_tensor(float(np.finfo(np.float32).min), dtype=logits.dtype)
        masked = ops.where(visible, per_position, lowest)
        running_max = ops.max(masked, axis=-1, keepdims=True)
        weights = ops.where(visible, ops.exp(masked - running_max), ops.zeros_like(masked))
        weights = weights / (ops.sum(weights, axis=-1, keepdims=True) + _ATTENTION_EPSILON)
        return ops.matmul(weights, inputs)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        if self.causal:
            rows = input_shape[1] if self.last_positions is None else self.last_positions
            if input_shape[1] is not None and rows is not None:
                rows = min(rows, input_shape[1])
            return (input_shape[0], rows, input_shape[2])
        return (input_shape[0], input_shape[2])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "causal": self.causal,
            "last_positions": self.last_positions,
        }


def _rnn_layer(
    config: ModelConfig, layer_number: int, *, unroll: bool, return_state: bool = False
) -> keras.layers.Layer:
    name = f"rnn_{layer_number}"
    # sigmoid recurrent activation: textgenrnn's choice, for parity with CuDNNLSTM.
    if config.rnn_bidirectional:
        return keras.layers.Bidirectional(
            keras.layers.LSTM(
                config.rnn_size,
                return_sequences=True,
                recurrent_activation="sigmoid",
                unroll=unroll,
            ),
            name=name,
        )
    return keras.layers.LSTM(
        config.rnn_size,
        return_sequences=True,
        return_state=return_state,
        recurrent_activation="sigmoid",
        unroll=unroll,
        name=name,
    )


def _rnn_outputs(
    config: ModelConfig, embedded: Any, *, unroll: bool, gradient_steps: int | None
) -> list[Any]:
    """Each LSTM layer's outputs over the window, the first fed by `embedded`.

    With `gradient_steps=g`, each layer runs twice, as one layer with one set of weights: over
    the first max_length - g steps, with its outputs and final state cut from the gradient,
    then from that state over the last g. The forward numbers are the uncut network's; the
    backward pass runs through the last g steps only, the context before them read as it is.
    """
    if gradient_steps is None or gradient_steps >= config.max_length:
        outputs: list[Any] = []
        for layer_number in range(1, config.rnn_layers + 1):
            previous = outputs[-1] if outputs else embedded
            outputs.append(_rnn_layer(config, layer_number, unroll=unroll)(previous))
        return outputs
    cut = config.max_length - gradient_steps
    early, late = ops.stop_gradient(embedded[:, :cut]), embedded[:, cut:]
    outputs = []
    for layer_number in range(1, config.rnn_layers + 1):
        layer = _rnn_layer(config, layer_number, unroll=unroll, return_state=True)
        early, *state = layer(early)
        early, state = ops.stop_gradient(early), [ops.stop_gradient(part) for part in state]
        late, *_ = layer(late, initial_state=state)
        outputs.append(ops.concatenate([early, late], axis=1))
    return outputs


def build_model(
    config: ModelConfig,
    num_classes: int,
    *,
    dropout: float = 0.0,
    seed: int | None = None,
    unroll: bool = False,
    all_positions: bool = False,
    last_positions: int | None = None,
    gradient_steps: int | None = None,
) -> keras.Model:
    """textgenrnn's architecture for `num_classes` outputs (vocabulary size + 1 for padding).

    `dropout` > 0 adds textgenrnn's SpatialDropout1D after the embedding (training only);
    `seed` fixes that dropout's random stream. `unroll` unrolls the LSTMs over the
    `max_length` steps, which is faster on CPU for short windows and gives the same numbers.
    `all_positions` gives the causal model predicting every position (module docstring);
    with `last_positions=k` it predicts the last k positions only, (batch, k, num_classes).
    `gradient_steps=g` (a training model's, unidirectional only) truncates backpropagation
    through time to the window's last g steps (`_rnn_outputs`); the weights are the same.
    """
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ModelConfigError(f"num_classes must be an integer of at least 2, got {num_classes}")
    if not 0.0 <= dropout < 1.0:
        raise ModelConfigError(f"dropout must be in [0, 1), got {dropout}")
    if gradient_steps is not None and (gradient_steps < 1 or config.rnn_bidirectional):
        raise ModelConfigError("gradient_steps needs at least 1 step and a unidirectional model")

    window = keras.Input(shape=(config.max_length,), dtype="int32", name="input")
    embedded = keras.layers.Embedding(num_classes, config.dim_embeddings, name="embedding")(window)
    if dropout > 0.0:
        embedded = keras.layers.SpatialDropout1D(dropout, seed=seed, name="dropout")(embedded)

    rnn_outputs = _rnn_outputs(config, embedded, unroll=unroll, gradient_steps=gradient_steps)
    concatenated = keras.layers.Concatenate(name="rnn_concat")([embedded, *rnn_outputs])
    attended = AttentionWeightedAverage(
        causal=all_positions,
        last_positions=last_positions if all_positions else None,
        name="attention",
    )(concatenated)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", name="output")(attended)
    return keras.Model(inputs=window, outputs=probabilities, name=config.name)


def is_all_positions(model: keras.Model) -> bool:
    """Whether `model` predicts every position (built with `all_positions=True`)."""
    return bool(model.get_layer("attention").causal)


def predicted_positions(model: keras.Model) -> int | None:
    """How many (last) positions an all-positions model predicts; None for a last-position one."""
    if not is_all_positions(model):
        return None
    return int(model.output_shape[1])


def copy_weights(
    source: keras.Model, target: keras.Model, *, values: Mapping[str, np.ndarray] | None = None
) -> None:
    """Give `target` the weights of `source`'s layers of the same name (dropout has none);
    `values` (by variable path) replaces some of `source`'s variables' own values: a run's
    weight averages (generator/ml/averaging.py).

    The two may differ in window length, dropout and objective: the weights do not depend on
    any of them.
    """
    by_name = {layer.name: layer for layer in source.layers}
    replaced = values or {}
    for layer in target.layers:
        if layer.name not in by_name:
            continue
        weights = [
            replaced[v.path] if v.path in replaced else keras.ops.convert_to_numpy(v)
            for v in by_name[layer.name].weights
        ]
        if weights:
            layer.set_weights(weights)


def count_parameters(model: keras.Model) -> int:
    return int(sum(int(ops.size(v)) for v in model.trainable_variables))

"""textgenrnn's network in Keras 3, backend-neutral (only keras.ops, so TensorFlow and JAX).

input (batch, max_length) int32 -> embedding -> rnn_1 .. rnn_N LSTMs (each fed by the previous)
-> rnn_concat = [embedding, rnn_1, .., rnn_N] -> attention-weighted average over time
-> output dense softmax (batch, num_classes). Layer names match textgenrnn's weights file.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from generator.ml.config import ModelConfig, ModelConfigError

# Keras 2's K.epsilon(), which textgenrnn's attention adds to its normaliser.
_ATTENTION_EPSILON = 1e-7


@keras.saving.register_keras_serializable(package="raplyrics")
class AttentionWeightedAverage(keras.layers.Layer):
    """textgenrnn's attention: softmax over time of x @ W, then the weighted sum of x over time.

    Computed exactly as textgenrnn does (max trick, then `/ (sum + epsilon)`) so that
    probabilities match its model to float32 rounding.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        # Keras 2's 'uniform' initializer: U(-0.05, 0.05).
        self.W = self.add_weight(
            shape=(int(input_shape[2]), 1),
            name=f"{self.name}_W",
            initializer=keras.initializers.RandomUniform(-0.05, 0.05),
            trainable=True,
        )

    def call(self, inputs: Any) -> Any:
        logits = ops.squeeze(ops.matmul(inputs, self.W), axis=-1)
        weights = ops.exp(logits - ops.max(logits, axis=-1, keepdims=True))
        weights = weights / (ops.sum(weights, axis=1, keepdims=True) + _ATTENTION_EPSILON)
        return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[2])


def _rnn_layer(config: ModelConfig, layer_number: int, *, unroll: bool) -> keras.layers.Layer:
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
        recurrent_activation="sigmoid",
        unroll=unroll,
        name=name,
    )


def build_model(
    config: ModelConfig,
    num_classes: int,
    *,
    dropout: float = 0.0,
    seed: int | None = None,
    unroll: bool = False,
) -> keras.Model:
    """textgenrnn's architecture for `num_classes` outputs (vocabulary size + 1 for padding).

    `dropout` > 0 adds textgenrnn's SpatialDropout1D after the embedding (training only);
    `seed` fixes that dropout's random stream. `unroll` unrolls the LSTMs over the
    `max_length` steps, which is faster on CPU for short windows and gives the same numbers.
    """
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ModelConfigError(f"num_classes must be an integer of at least 2, got {num_classes}")
    if not 0.0 <= dropout < 1.0:
        raise ModelConfigError(f"dropout must be in [0, 1), got {dropout}")

    window = keras.Input(shape=(config.max_length,), dtype="int32", name="input")
    embedded = keras.layers.Embedding(num_classes, config.dim_embeddings, name="embedding")(window)
    if dropout > 0.0:
        embedded = keras.layers.SpatialDropout1D(dropout, seed=seed, name="dropout")(embedded)

    rnn_outputs: list[Any] = []
    for layer_number in range(1, config.rnn_layers + 1):
        previous = rnn_outputs[-1] if rnn_outputs else embedded
        rnn_outputs.append(_rnn_layer(config, layer_number, unroll=unroll)(previous))

    concatenated = keras.layers.Concatenate(name="rnn_concat")([embedded, *rnn_outputs])
    attended = AttentionWeightedAverage(name="attention")(concatenated)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", name="output")(attended)
    return keras.Model(inputs=window, outputs=probabilities, name=config.name)


def count_parameters(model: keras.Model) -> int:
    return int(sum(int(ops.size(v)) for v in model.trainable_variables))

"""The training step on TensorFlow, called batch by batch from Python instead of through `fit`.

Keras' `fit` runs each batch through its own machinery: a tf.data iterator read inside a
second compiled function wrapped around the step, the loss tracker and metrics, the callbacks'
logs. Around this model's 30–40 ms step that machinery cost about 0.3–0.4 s more in the first
batch (tracing and optimising the larger program) and a few milliseconds in every later one
(docs/benchmarks.md, *Time to quality*: first epochs 1.12–1.23x faster without it). The step
here is Keras' own `train_step` without the tracker and metrics: the forward pass in training
mode, `compute_loss` (the compiled loss plus any layer losses), the gradient, and the
optimizer's `apply` (Adam and, for `AveragingAdam`, the weight average), so the weights after
each batch are the ones `fit` gives.

TensorFlow only: under JAX, Keras' step is a pure function of the variables' values that its
`fit` threads through, and the GPU hosts that run it keep `fit` (fit.train_one_epoch).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


class TrainStep:
    """One compiled training step of a compiled model: `step(inputs, targets)` trains one
    batch and returns its loss. Traced on the first call, reused for every batch after."""

    def __init__(self, model: keras.Model, *, jit_compile: bool = False) -> None:
        import tensorflow as tf

        self.model = model
        self._step = tf.function(self._train, jit_compile=jit_compile, reduce_retracing=True)

    def _train(self, inputs: Any, targets: Any) -> Any:
        import tensorflow as tf

        model = self.model
        variables = model.trainable_variables
        with tf.GradientTape() as tape:
            predicted = model(inputs, training=True)
            loss = model.compute_loss(x=inputs, y=targets, y_pred=predicted, training=True)
        gradients = tape.gradient(loss, variables)
        model.optimizer.apply(gradients, variables)
        return loss

    def __call__(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        return float(self._step(inputs, targets))

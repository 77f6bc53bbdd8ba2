"""Compiled, batched sampling from a textgenrnn-style model, with textgenrnn's semantics.

Semantics (textgenrnn_generate): the context is `<s>` + the prefix's tokens (no `<s>` for
`single_text` models); at each step the window is the context's last `max_length` tokens,
left-padded with 0; the next token is drawn from the model's probabilities at the stream's
temperature (log(p + 1e-7) / T, as textgenrnn); generation stops at the end token `<s>`, also at a
newline when asked (`stop_at="newline"`), or after `max_chars` generated tokens (characters for
a character-level model, words for a word-level one). The stop token is not part of the text.

Differences from textgenrnn, on purpose:
- padding (class 0) is never drawn: its probability is masked before sampling (textgenrnn drew
  it and then took the second most likely class);
- `top_k` and `top_p` (nucleus) filters, applied after the temperature;
- a temperature list cycles per *line* of a stream (textgenrnn cycled it per character);
  temperature 0 means greedy;
- `max_chars` counts generated tokens only (textgenrnn's `max_gen_length` counted the prefix).

Speed: the whole generation loop is one compiled function (`tf.function(jit_compile=True)` on
the TensorFlow backend, `jax.jit` on JAX; the body is `keras.ops` and the model's
`stateless_call`, so one code path serves both). Several streams run together as one batch.
Shapes are bucketed (batch to a power of two, output length to 64..2048) and every control is a
tensor argument, so a new prompt, temperature, top_k/top_p or max_chars reuses the compiled
function; `Sampler.compilations` counts traces.

Randomness: each stream draws its uniforms from `numpy.random.default_rng(seed)` on the host and
picks its token by inverse CDF, so a stream's output depends only on its seed, prefix, controls
and the model: not on the other streams in its batch, nor on the bucket it lands in.

Prefix characters the vocabulary lacks are never encoded as padding: each is replaced by its
closest known form (curly quotes -> straight, dashes, ellipsis, accents stripped by NFKD, other
case, whitespace -> space) or dropped, and `PreparedPrefix.fixes` says which.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from generator.ml.config import ModelConfig
from generator.ml.streams import (
    LOG_EPSILON,
    MASKED_LOGIT,
    MAX_CHARS_LIMIT,
    MAX_SEED,
    MAX_STREAMS,
    MAX_TEMPERATURES,
    GenerationResult,
    PrefixFix,
    PreparedPrefix,
    SamplingControls,
    SamplingError,
    StopAt,
    StopReason,
    StreamOutput,
    StreamRequest,
    check_seed,
    closest_known,
    prepare_prefix,
    stream_uniforms,
)
from generator.ml.vocab import Vocabulary

# Re-exported: callers import the request types from here as they always did.
__all__ = [
    "MAX_CHARS_LIMIT",
    "MAX_SEED",
    "MAX_STREAMS",
    "MAX_TEMPERATURES",
    "GenerationResult",
    "PrefixFix",
    "PreparedPrefix",
    "Sampler",
    "SamplingControls",
    "SamplingError",
    "StopAt",
    "StopReason",
    "StreamOutput",
    "StreamRequest",
    "closest_known",
    "next_tokens",
    "prepare_prefix",
]

# On CPU a step costs about linearly in the batch, so the buckets are fine-grained.
BATCH_BUCKETS: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
LENGTH_BUCKETS: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048)
_LOG_EPSILON = LOG_EPSILON
_MASKED_LOGIT = MASKED_LOGIT
_REASON_MAX_CHARS, _REASON_END, _REASON_NEWLINE = 0, 1, 2
_REASONS: dict[int, StopReason] = {
    _REASON_MAX_CHARS: "max_chars",
    _REASON_END: "end",
    _REASON_NEWLINE: "newline",
}


# -- the sampling step (keras.ops: runs eagerly on arrays, and inside the compiled loop) ---------


def next_tokens(
    probabilities: Any,
    uniforms: Any,
    *,
    temperature: Any,
    top_k: Any,
    top_p: Any,
) -> Any:
    """Draw one class per row of `probabilities` (batch, classes) by inverse CDF.

    `uniforms` (batch,) in [0, 1) pick the class; `temperature` (batch,) (0 = greedy),
    `top_k` (batch,) int (0 = off), `top_p` (batch,) (1 = off). Class 0 (padding) is never drawn.
    The filters are decided on the sorted distribution, but the CDF runs in class order: two
    nearly equal classes whose sorted order a rounding difference could swap then still own
    the same stretch of [0, 1), so a stream's draw does not depend on its batch.
    """
    num_classes = ops.shape(probabilities)[-1]
    temperature = ops.cast(temperature, "float32")
    greedy = temperature <= 0.0
    safe_temperature = ops.where(greedy, ops.ones_like(temperature), temperature)
    logits = ops.log(ops.cast(probabilities, "float32") + _LOG_EPSILON)
    logits = logits / ops.expand_dims(safe_temperature, -1)
    class_ids = ops.expand_dims(ops.arange(num_classes, dtype="int32"), 0)
    logits = ops.where(class_ids == 0, _MASKED_LOGIT, logits)

    sorted_logits, _ = ops.top_k(logits, k=num_classes, sorted=True)
    sorted_probs = ops.softmax(sorted_logits, axis=-1)
    rank = class_ids
    top_k = ops.expand_dims(ops.cast(top_k, "int32"), -1)
    top_p = ops.expand_dims(ops.cast(top_p, "float32"), -1)
    mass_before = ops.cumsum(sorted_probs, axis=-1) - sorted_probs
    keep_sorted = ops.logical_or(top_k <= 0, rank < top_k)
    keep_sorted = ops.logical_and(keep_sorted, mass_before < top_p)
    keep_sorted = ops.logical_and(keep_sorted, ops.logical_not(ops.expand_dims(greedy, -1)))
    keep_sorted = ops.logical_or(keep_sorted, rank == 0)  # the most likely class always stays
    kept_count = ops.sum(ops.cast(keep_sorted, "int32"), axis=-1, keepdims=True)
    threshold = ops.take_along_axis(sorted_logits, kept_count - 1, axis=-1)

    keep = logits >= threshold
    weights = ops.exp(logits - ops.max(logits, axis=-1, keepdims=True))
    weights = ops.where(keep, weights, ops.zeros_like(weights))
    cdf = ops.cumsum(weights, axis=-1)
    target = ops.cast(uniforms, "float32") * cdf[:, -1]
    position = ops.sum(ops.cast(cdf <= ops.expand_dims(target, -1), "int32"), axis=-1)
    last_kept = ops.max(ops.where(keep, class_ids, ops.zeros_like(class_ids)), axis=-1)
    return ops.cast(ops.minimum(position, last_kept), "int32")


def _bucket(value: int, buckets: Sequence[int]) -> int:
    for size in buckets:
        if value <= size:
            return size
    raise SamplingError(f"{value} exceeds the largest bucket {buckets[-1]}")


# -- the sampler --------------------------------------------------------------------------------


class Sampler:
    """Generates from one model; build one per loaded model and share it (thread-safe)."""

    def __init__(self, *, model: keras.Model, vocabulary: Vocabulary, config: ModelConfig) -> None:
        if int(model.outputs[0].shape[-1]) != vocabulary.num_classes:
            raise SamplingError(
                f"the model has {model.outputs[0].shape[-1]} classes but the vocabulary "
                f"{vocabulary.num_classes}"
            )
        self.model = model
        self.vocabulary = vocabulary
        self.config = config
        self.window_length = config.max_length
        self.end_id = vocabulary.end_id
        self.newline_id = vocabulary.token_to_id.get("\n", -1)
        self._compilations = 0
        self._lock = threading.Lock()
        self._compiled: Callable[..., Any] = self._compile(self._generation_loop)

    @property
    def compilations(self) -> int:
        """How many times the generation loop has been traced and compiled in this process."""
        return self._compilations

    @staticmethod
    def _compile(function: Callable[..., Any]) -> Callable[..., Any]:
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            compiled: Callable[..., Any] = tf.function(function, jit_compile=True)
            return compiled
        if backend == "jax":
            import jax

            return jax.jit(function)
        return function  # other backends run the same loop eagerly

    def _generation_loop(
        self,
        trainable: list[Any],
        non_trainable: list[Any],
        windows: Any,
        uniforms: Any,
        temperatures: Any,
        temperature_counts: Any,
        top_k: Any,
        top_p: Any,
        max_tokens: Any,
        stop_at_newline: Any,
    ) -> tuple[Any, Any, Any]:
        # Runs only while tracing: counts compilations.
        with self._lock:
            self._compilations += 1
        batch, length = ops.shape(uniforms)[0], ops.shape(uniforms)[1]
        columns = ops.expand_dims(ops.arange(length, dtype="int32"), 0)
        zeros = ops.zeros((batch,), dtype="int32")

        def keep_going(step: Any, window: Any, out: Any, *state: Any) -> Any:
            done = state[1]
            return ops.logical_and(step < length, ops.logical_not(ops.all(done)))

        def one_token(
            step: Any,
            window: Any,
            out: Any,
            produced: Any,
            done: Any,
            line: Any,
            reason: Any,
        ) -> tuple[Any, ...]:
            probabilities, _ = self.model.stateless_call(
                trainable, non_trainable, window, training=False
            )
            cycle = ops.expand_dims(line % temperature_counts, -1)
            temperature = ops.squeeze(ops.take_along_axis(temperatures, cycle, axis=-1), -1)
            token = next_tokens(
                probabilities,
                ops.take(uniforms, step, axis=1),
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
            )
            active = ops.logical_not(done)
            token = ops.where(active, token, zeros)
            out = ops.where(
                ops.logical_and(columns == step, ops.expand_dims(active, -1)),
                ops.expand_dims(token, -1),
                out,
            )
            is_end = token == self.end_id
            is_newline = token == self.newline_id
            stops = ops.logical_and(
                active, ops.logical_or(is_end, ops.logical_and(stop_at_newline, is_newline))
            )
            continues = ops.logical_and(active, ops.logical_not(stops))
            produced = produced + ops.cast(continues, "int32")
            stop_reason = ops.where(
                is_end, ops.full_like(reason, _REASON_END), ops.full_like(reason, _REASON_NEWLINE)
            )
            reason = ops.where(stops, stop_reason, reason)
            line = line + ops.cast(ops.logical_and(continues, is_newline), "int32")
            shifted = ops.concatenate([window[:, 1:], ops.expand_dims(token, -1)], axis=1)
            window = ops.where(ops.expand_dims(active, -1), shifted, window)
            full = ops.logical_and(continues, produced >= max_tokens)
            done = ops.logical_or(done, ops.logical_or(stops, full))
            return step + 1, window, out, produced, done, line, reason

        initial = (
            ops.convert_to_tensor(0, dtype="int32"),
            windows,
            ops.zeros((batch, length), dtype="int32"),
            zeros,
            max_tokens <= 0,
            zeros,
            zeros,
        )
        final = ops.while_loop(keep_going, one_token, initial)
        return final[2], final[3], final[6]

    # -- public entry points ----------------------------------------------------------------

    def warm_up(self, *, streams: Sequence[int] = (1,), max_chars: int = 120) -> int:
        """Compile the loop for these batch sizes and length bucket now (e.g. in gunicorn's
        post_worker_init) rather than on a visitor's request; returns the compilations made."""
        before = self._compilations
        controls = SamplingControls(max_chars=max_chars)
        for count in streams:
            self.generate_streams(
                [
                    StreamRequest(context_ids=(self.end_id,), seed=i, controls=controls)
                    for i in range(count)
                ]
            )
        return self._compilations - before

    def context_for(self, prefix: PreparedPrefix) -> tuple[int, ...]:
        """textgenrnn's starting context: `<s>` then the prefix (no `<s>` for single_text)."""
        head: tuple[int, ...] = () if self.config.single_text else (self.end_id,)
        return head + prefix.token_ids

    def generate(
        self,
        *,
        prefix: str = "",
        seeds: Sequence[int],
        controls: SamplingControls,
    ) -> GenerationResult:
        """One stream per seed, all continuing the same prefix with the same controls."""
        started = time.perf_counter()
        prepared = prepare_prefix(prefix, self.vocabulary)
        context = self.context_for(prepared)
        streams = self.generate_streams(
            [StreamRequest(context_ids=context, seed=seed, controls=controls) for seed in seeds]
        )
        return GenerationResult(
            prefix=prepared, streams=tuple(streams), elapsed_s=time.perf_counter() - started
        )

    def generate_streams(self, requests: Sequence[StreamRequest]) -> list[StreamOutput]:
        """Run several streams (each with its own context, seed and controls) as one batch."""
        if not 1 <= len(requests) <= MAX_STREAMS:
            raise SamplingError(f"give 1 to {MAX_STREAMS} streams, got {len(requests)}")
        for request in requests:
            check_seed(request.seed)
        batch = _bucket(len(requests), BATCH_BUCKETS)
        length = _bucket(max(r.controls.max_chars for r in requests), LENGTH_BUCKETS)
        arrays = self._batch_arrays(requests, batch=batch, length=length)
        trainable = [v.value for v in self.model.trainable_variables]
        non_trainable = [v.value for v in self.model.non_trainable_variables]
        tokens, produced, reasons = (
            np.asarray(ops.convert_to_numpy(x))
            for x in self._compiled(trainable, non_trainable, *arrays)
        )
        outputs = []
        for row, request in enumerate(requests):
            ids = tuple(int(i) for i in tokens[row, : produced[row]])
            outputs.append(
                StreamOutput(
                    seed=int(request.seed),
                    text=self.vocabulary.decode(ids),
                    token_ids=ids,
                    stop_reason=_REASONS[int(reasons[row])],
                )
            )
        return outputs

    def _batch_arrays(
        self, requests: Sequence[StreamRequest], *, batch: int, length: int
    ) -> tuple[np.ndarray, ...]:
        windows = np.zeros((batch, self.window_length), dtype=np.int32)
        uniforms = np.zeros((batch, length), dtype=np.float32)
        temperatures = np.ones((batch, MAX_TEMPERATURES), dtype=np.float32)
        temperature_counts = np.ones((batch,), dtype=np.int32)
        top_k = np.zeros((batch,), dtype=np.int32)
        top_p = np.ones((batch,), dtype=np.float32)
        max_tokens = np.zeros((batch,), dtype=np.int32)  # 0: a padding row, done at once
        stop_at_newline = np.zeros((batch,), dtype=bool)
        for row, request in enumerate(requests):
            context = request.context_ids[-self.window_length :]
            if context:
                windows[row, -len(context) :] = context
            uniforms[row] = stream_uniforms(request.seed, length)
            controls = request.controls
            temperatures[row, : len(controls.temperature)] = controls.temperature
            temperature_counts[row] = len(controls.temperature)
            top_k[row] = controls.top_k or 0
            top_p[row] = 1.0 if controls.top_p is None else controls.top_p
            max_tokens[row] = controls.max_chars
            stop_at_newline[row] = controls.stop_at == "newline"
        return (
            windows,
            uniforms,
            temperatures,
            temperature_counts,
            top_k,
            top_p,
            max_tokens,
            stop_at_newline,
        )

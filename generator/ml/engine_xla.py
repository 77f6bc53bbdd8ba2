"""The exact engine's step compiled by XLA (JAX on CPU): `engine.Stepper`'s numbers, fewer calls.

`engine.Stepper` spends about 60 NumPy calls on each step; for one stream (a 40 x 356 state)
the calls, not the arithmetic, bound it. Here one step is one compiled call: restart each
stream's full window, feed every window the stream's token (two LSTM layers, the running
attention sums), advance the phase and read the next distribution of every stream. Same
layout and arithmetic as engine.py (see its docstring): windows x streams, gate columns
i, f, o (halved for the one-tanh sigmoid), c; same max-shifted attention sums.

Shapes: XLA compiles one program per input shape, so a batch of B streams runs padded to the
next bucket: every size up to 8 (a request's candidates, as they finish one by one: padding 5
to 8 cost 9% more rows over a default request), then 10, 12 (two requests' 6 candidates in one
batch), 16, 24, 32, 48, 64. Programs are compiled at worker start by `warm_up` up to a lane's
share of the default request's candidates in every generation slot (about a second each on this
CPU, or milliseconds from the disk cache) and the rest on first use; each is about 5 MiB
resident (loaded from the cache).
Padding rows repeat a real stream; they are computed and ignored.
`XlaWindowStates` keeps the states on the XLA device (host memory on CPU) between steps;
streams joining or leaving the batch (`take`, `concat`) gather rows on the host, from one copy
per step however many streams finish in it, and go back to the device in one transfer when they
next step (a remembered stream that is never continued stays on the host).

The draw stays in NumPy (`engine.draw_tokens` on the probabilities this returns), so a seed
draws the same tokens from either backend as long as the probabilities agree (to ~1e-7).
A step returns before its arithmetic is done (JAX runs it on XLA's thread); `engine.StreamBatch`
deals its streams into two lanes so that this thread draws one lane's tokens while the other
lane's step computes.

Compiled programs are kept on disk (`use_compilation_cache`; the site keeps them in
settings.XLA_CACHE_DIR), so only the first worker after an upgrade pays the compiler.

Threads: XLA sizes its CPU thread pool once, when JAX starts its CPU client, by the CPUs the
process may use; a worker asks for one thread (`common.cpu_threads`: gunicorn.conf.py sets the
environment, `start_jax_cpu` starts the client accordingly before the first step).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from common.cpu_threads import start_jax_cpu
from generator.ml.engine import _ATTENTION_EPSILON, NetworkArrays

# Batch sizes a worker compiles programs for; a batch runs padded to the next of them.
EXACT_BUCKETS_UP_TO = 8
BUCKETS: tuple[int, ...] = (*range(1, EXACT_BUCKETS_UP_TO + 1), 10, 12, 16, 24, 32, 48, 64)
# Start programs compiled at warm-up: buckets 1 and 2 (one context per request admitted at once).
WARM_START_BUCKETS = 2
_STATE_NAMES = ("hidden", "cells", "att_num", "att_den", "att_max")


def use_compilation_cache(directory: Path) -> None:
    """Keep this process's compiled programs in `directory` and load them from there (JAX's
    persistent compilation cache; entries are keyed by JAX version, flags and shapes, so a stale
    one is never used). A worker started after the first then skips the compiler: its warm-up
    takes milliseconds a program instead of about a second, and its memory no longer peaks
    with the compiler's (about 80 MiB). Takes effect for programs compiled after the call."""
    import jax

    directory.mkdir(parents=True, exist_ok=True)
    config: Any = jax.config  # untyped in jax's stubs
    config.update("jax_compilation_cache_dir", str(directory))
    config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def bucket_for(streams: int) -> int:
    """The padded batch size: the next of BUCKETS (past 64, a rare call such as a long list of
    contexts to score, the next power of two)."""
    for size in BUCKETS:
        if size >= streams:
            return size
    return 1 << (streams - 1).bit_length()


class XlaWindowStates:
    """`engine.WindowStates` for the compiled step: the states of `batch` streams, `phase` per
    stream, and the next distribution of every stream (computed by the step that produced them).

    The arrays live where they were last needed. After a step they are on the device, padded to
    the bucket (windows, bucket, ...); `take` and `concat` work on one host copy of them, made
    once however many streams are taken from the same step (every candidate that finishes in a
    step is remembered, then the rest continue), and their results stay on the host, real
    streams only, until a step needs them: then one transfer puts them on the device. A finished
    line's remembered stream that is never continued (most of them) never goes back."""

    def __init__(
        self,
        *,
        phase: np.ndarray,
        window: int,
        arrays: dict[str, Any] | None = None,
        probs: Any = None,
        host: tuple[dict[str, np.ndarray], np.ndarray] | None = None,
    ) -> None:
        if arrays is None and host is None:
            raise ValueError("window states need device arrays or host arrays")
        self.arrays = arrays
        self.probs = probs
        self.phase = phase
        self.window = window
        self._host_copy = host
        self._host_probs: np.ndarray | None = None

    @property
    def batch(self) -> int:
        return int(self.phase.shape[0])

    def _host(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The real streams' arrays on the host (copied from the device once per step)."""
        if self._host_copy is None:
            # No host copy: the states are on the device (__init__ wants one or the other).
            device = cast("dict[str, Any]", self.arrays)
            count = self.batch
            arrays = {name: np.asarray(v)[:, :count] for name, v in device.items()}
            self._host_copy = arrays, self.host_probabilities()
        return self._host_copy

    def host_probabilities(self) -> np.ndarray:
        """(batch, classes) on the host: only the distributions, not the states."""
        if self._host_copy is not None:
            return self._host_copy[1]
        if self._host_probs is None:
            self._host_probs = np.asarray(self.probs)[: self.batch]
        return self._host_probs

    def device(self) -> tuple[dict[str, Any], Any]:
        """The arrays on the device, padded to the bucket (rows past `batch` repeat stream 0)."""
        if self.arrays is None:
            import jax

            arrays, probs = self._host()
            pad = np.zeros(bucket_for(self.batch) - self.batch, dtype=np.int64)
            index = np.concatenate([np.arange(self.batch), pad])
            padded = {name: array[:, index] for name, array in arrays.items()}
            self.arrays, self.probs = jax.device_put((padded, probs[index]))
        # A host copy may share the buffers a step is about to reuse (donated): let it go.
        self._host_copy = self._host_probs = None
        return self.arrays, self.probs

    def stepped(self, arrays: dict[str, Any], probs: Any) -> None:
        """Hold the states a step produced (on the device; the host copy is now stale)."""
        self.arrays, self.probs = arrays, probs
        self._host_copy = self._host_probs = None

    def take(self, streams: Sequence[int] | np.ndarray) -> XlaWindowStates:
        """A new state holding only these streams (in this order; repeats copy a stream)."""
        index = np.asarray(streams, dtype=np.int64)
        arrays, probs = self._host()
        return XlaWindowStates(
            phase=self.phase[index],
            window=self.window,
            host=({name: array[:, index] for name, array in arrays.items()}, probs[index]),
        )

    @classmethod
    def concat(cls, parts: Sequence[XlaWindowStates]) -> XlaWindowStates:
        if len(parts) == 1:
            return parts[0]
        hosts = [part._host() for part in parts]
        arrays = {
            name: np.concatenate([a[name] for a, _ in hosts], axis=1) for name in _STATE_NAMES
        }
        return XlaWindowStates(
            phase=np.concatenate([part.phase for part in parts]),
            window=parts[0].window,
            host=(arrays, np.concatenate([p for _, p in hosts])),
        )


class XlaStepper:
    """`engine.Stepper` with each step one compiled call (module docstring)."""

    def __init__(self, network: NetworkArrays) -> None:
        start_jax_cpu()  # XLA's pool sized as the process asked (common.cpu_threads)
        import jax

        self.network = network
        self._weights = device_weights(network)
        shape = NetworkShape(network.window, network.units, network.embedding_dim, network.layers)
        # The states are donated: each step reuses their buffers for the next states.
        self._step = jax.jit(
            lambda w, s, p, t: step_windows(shape, w, s, p, t), donate_argnums=(1,)
        )
        self._start = jax.jit(lambda w, c: start_windows(shape, w, c))
        self.compiled: set[tuple[str, int]] = set()

    concat = staticmethod(XlaWindowStates.concat)

    def start(self, contexts: Sequence[Sequence[int]]) -> XlaWindowStates:
        """States for streams continuing these contexts (token ids), textgenrnn's first window."""
        window = self.network.window
        count = len(contexts)
        size = bucket_for(count)
        padded = np.zeros((size, window), dtype=np.int32)
        for row, context in enumerate(contexts):
            tail = list(context)[-window:]
            if tail:
                padded[row, window - len(tail) :] = tail
        arrays, probs = self._start(self._weights, padded)
        self.compiled.add(("start", size))
        return XlaWindowStates(
            phase=np.zeros(count, dtype=np.int64), window=window, arrays=arrays, probs=probs
        )

    def advance(self, states: XlaWindowStates, tokens: np.ndarray) -> None:
        """Restart each stream's full window, then feed every window the stream's new token."""
        arrays, _ = states.device()
        size = next(iter(arrays.values())).shape[1]
        count = states.batch
        padded_tokens = np.zeros(size, dtype=np.int32)
        padded_tokens[:count] = tokens
        padded_phase = np.zeros(size, dtype=np.int32)
        padded_phase[:count] = states.phase
        states.stepped(*self._step(self._weights, arrays, padded_phase, padded_tokens))
        states.phase = (states.phase + 1) % states.window
        self.compiled.add(("step", size))

    def probabilities(self, states: XlaWindowStates) -> np.ndarray:
        """(B, classes): each stream's next-token distribution, from its full window."""
        # On the host first: slicing the device array would be one more (slow) eager JAX call.
        probs: np.ndarray = states.host_probabilities().copy()
        return probs

    def warm_up(self, *, max_streams: int, lanes: int = 1) -> tuple[int, float]:
        """Compile the step of every bucket up to the bucket of a lane's share of `max_streams`
        (`engine.StreamBatch` deals a batch's streams into `lanes` calls) and the start of the
        first WARM_START_BUCKETS (streams start together from one context per request admitted
        at once; a request's candidates share theirs); returns (programs compiled now, seconds).
        Other shapes compile on first use (from the disk cache once one worker has)."""
        began = time.perf_counter()
        before = len(self.compiled)
        sizes = BUCKETS[: BUCKETS.index(bucket_for(math.ceil(max_streams / lanes))) + 1]
        for size in sizes[:WARM_START_BUCKETS]:
            self.start([[0]] * size)
        states = self.start([[0]])
        for size in sizes:
            grown = states.take([0] * size)
            self.advance(grown, np.ones(size, dtype=np.int64))
            self.probabilities(grown)
        return len(self.compiled) - before, time.perf_counter() - began


# -- the compiled programs (traced by JAX; `w` the weights, `s` the states) ---------------------


def device_weights(network: NetworkArrays) -> dict[str, Any]:
    """The network's arrays as device arrays, in the layout the programs below read (`w`)."""
    import jax.numpy as jnp

    return {
        "embedding": jnp.asarray(network.embedding),
        "input_kernel": jnp.asarray(network.input_kernel),
        "recurrent_kernel": jnp.asarray(network.recurrent_kernel),
        "first_bias": jnp.asarray(network.first_bias),
        "stacked_kernels": tuple(jnp.asarray(k) for k in network.stacked_kernels),
        "stacked_biases": tuple(jnp.asarray(b) for b in network.stacked_biases),
        "attention": jnp.asarray(network.attention),
        "output_kernel": jnp.asarray(network.output_kernel),
        "output_bias": jnp.asarray(network.output_bias),
    }


class NetworkShape:
    """The network's static sizes (hashable constants for the traced programs)."""

    def __init__(self, window: int, units: int, embedding_dim: int, layers: int) -> None:
        self.window, self.units, self.embedding_dim, self.layers = (
            window,
            units,
            embedding_dim,
            layers,
        )


def _cell(gates: Any, cell: Any, units: int) -> tuple[Any, Any]:
    import jax.numpy as jnp

    activated = jnp.tanh(gates)
    sigmoid = activated[..., : 3 * units] * 0.5 + 0.5
    new_cell = (
        cell * sigmoid[..., units : 2 * units] + activated[..., 3 * units :] * sigmoid[..., :units]
    )
    return sigmoid[..., 2 * units :] * jnp.tanh(new_cell), new_cell


def _feed(shape: NetworkShape, w: dict[str, Any], s: dict[str, Any], tokens: Any) -> dict[str, Any]:
    """Every window of every stream takes its stream's token: one LSTM step, attention sums."""
    import jax.numpy as jnp

    units, emb_dim = shape.units, shape.embedding_dim
    embedded = w["embedding"][tokens]  # (B, E)
    projected = embedded @ w["input_kernel"] + w["first_bias"]  # (B, 4H)
    hidden, cells = s["hidden"], s["cells"]  # (S, B, D), (S, B, L*H)
    gates = hidden[..., emb_dim : emb_dim + units] @ w["recurrent_kernel"] + projected[None]
    out, cell = _cell(gates, cells[..., :units], units)
    outputs, new_cells = [out], [cell]
    for layer, (kernel, bias) in enumerate(
        zip(w["stacked_kernels"], w["stacked_biases"], strict=True), start=2
    ):
        own = hidden[..., emb_dim + (layer - 1) * units : emb_dim + layer * units]
        gates = jnp.concatenate([outputs[-1], own], axis=-1) @ kernel + bias
        out, cell = _cell(gates, cells[..., (layer - 1) * units : layer * units], units)
        outputs.append(out)
        new_cells.append(cell)
    new_hidden = jnp.concatenate(
        [jnp.broadcast_to(embedded[None], (hidden.shape[0], *embedded.shape)), *outputs], axis=-1
    )
    logits = new_hidden @ w["attention"]  # (S, B)
    new_max = jnp.maximum(s["att_max"], logits)
    rescale = jnp.exp(s["att_max"] - new_max)
    weight = jnp.exp(logits - new_max)
    return {
        "hidden": new_hidden,
        "cells": jnp.concatenate(new_cells, axis=-1),
        "att_num": s["att_num"] * rescale[..., None] + new_hidden * weight[..., None],
        "att_den": s["att_den"] * rescale + weight,
        "att_max": new_max,
    }


def _zeros(shape: NetworkShape, batch: int) -> dict[str, Any]:
    import jax.numpy as jnp

    width = shape.embedding_dim + shape.layers * shape.units
    rows = (shape.window, batch)
    return {
        "hidden": jnp.zeros((*rows, width), jnp.float32),
        "cells": jnp.zeros((*rows, shape.layers * shape.units), jnp.float32),
        "att_num": jnp.zeros((*rows, width), jnp.float32),
        "att_den": jnp.zeros(rows, jnp.float32),
        "att_max": jnp.full(rows, -jnp.inf, jnp.float32),
    }


def _probabilities(w: dict[str, Any], s: dict[str, Any], phase: Any) -> Any:
    import jax
    import jax.numpy as jnp

    streams = jnp.arange(phase.shape[0])
    numerator = s["att_num"][phase, streams]
    averaged = numerator / (s["att_den"][phase, streams] + _ATTENTION_EPSILON)[:, None]
    return jax.nn.softmax(averaged @ w["output_kernel"] + w["output_bias"], axis=-1)


def _where_windows(mask: Any, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """Per (window, stream) choice between two states; mask (S, B)."""
    import jax.numpy as jnp

    return {
        name: jnp.where(mask.reshape(*mask.shape, *([1] * (old[name].ndim - 2))), new[name], value)
        for name, value in old.items()
    }


def step_windows(
    shape: NetworkShape, w: dict[str, Any], s: dict[str, Any], phase: Any, tokens: Any
) -> tuple[dict[str, Any], Any]:
    """Restart each stream's full window, feed all, read the next full windows' distributions."""
    import jax.numpy as jnp

    full = jnp.arange(shape.window)[:, None] == phase[None, :]
    s = _where_windows(full, _zeros(shape, phase.shape[0]), s)
    s = _feed(shape, w, s, tokens)
    return s, _probabilities(w, s, (phase + 1) % shape.window)


def start_windows(
    shape: NetworkShape, w: dict[str, Any], contexts: Any
) -> tuple[dict[str, Any], Any]:
    """textgenrnn's first window (contexts (B, S), left-padded): at position i windows 0..i are
    fed, the others stay zero; window 0 is then full."""
    import jax
    import jax.numpy as jnp

    batch = contexts.shape[0]
    windows = jnp.arange(shape.window)

    def feed_position(s: dict[str, Any], position: Any) -> tuple[dict[str, Any], None]:
        fed = _feed(shape, w, s, contexts[:, position])
        live = jnp.broadcast_to((windows <= position)[:, None], (shape.window, batch))
        return _where_windows(live, fed, s), None

    s, _ = jax.lax.scan(feed_position, _zeros(shape, batch), jnp.arange(shape.window))
    return s, _probabilities(w, s, jnp.zeros(batch, jnp.int32))

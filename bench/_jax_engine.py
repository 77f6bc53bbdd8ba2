"""The exact one-step-per-token engine (generator/ml/engine.py) in JAX, for GPU throughput.

The NumPy engine serves the website on CPU; a GPU host samples thousands of streams at once, and
there the same arithmetic runs as one compiled JAX loop. Same layout as `engine.Stepper`: every
stream keeps S window states (the windows starting at its last S positions), each new token
advances all of them by one LSTM step, each window's attention average is kept as running
max-shifted sums, the window that has just consumed S tokens gives the distribution and is then
restarted. Streams here start together from one context, so they share the phase (which window
is full): the benchmark's case. Tokens are drawn with `jax.random.categorical` at a temperature
(not the engine's seeded inverse-CDF draw): this module measures speed, and
`tests/bench/test_gpu_sampling.py` proves its probabilities equal the NumPy engine's.

    KERAS_BACKEND=jax python bench/_jax_engine.py --streams 1 4096 --chars 300

bench/gpu.sh times it through `bench._gpu_sampling:jax_engine_sampler`.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.ml.engine import Engine, NetworkArrays

_ATTENTION_EPSILON = 1e-7


@dataclass(frozen=True)
class JaxNetwork:
    """`NetworkArrays` as device arrays (gate layout i, f, o halved, c; see engine.py)."""

    embedding: Any
    input_kernel: Any
    recurrent_kernel: Any
    first_bias: Any
    stacked_kernels: tuple[Any, ...]
    stacked_biases: tuple[Any, ...]
    attention: Any
    output_kernel: Any
    output_bias: Any
    window: int
    units: int
    embedding_dim: int

    @classmethod
    def from_arrays(cls, net: NetworkArrays) -> JaxNetwork:
        import jax.numpy as jnp

        return cls(
            embedding=jnp.asarray(net.embedding),
            input_kernel=jnp.asarray(net.input_kernel),
            recurrent_kernel=jnp.asarray(net.recurrent_kernel),
            first_bias=jnp.asarray(net.first_bias),
            stacked_kernels=tuple(jnp.asarray(k) for k in net.stacked_kernels),
            stacked_biases=tuple(jnp.asarray(b) for b in net.stacked_biases),
            attention=jnp.asarray(net.attention),
            output_kernel=jnp.asarray(net.output_kernel),
            output_bias=jnp.asarray(net.output_bias),
            window=net.window,
            units=net.units,
            embedding_dim=net.embedding_dim,
        )


def _cell(gates: Any, cell: Any, units: int) -> tuple[Any, Any]:
    import jax.numpy as jnp

    activated = jnp.tanh(gates)
    sigmoid = activated[..., : 3 * units] * 0.5 + 0.5
    input_gate = sigmoid[..., :units]
    forget_gate = sigmoid[..., units : 2 * units]
    output_gate = sigmoid[..., 2 * units :]
    new_cell = cell * forget_gate + activated[..., 3 * units :] * input_gate
    return output_gate * jnp.tanh(new_cell), new_cell


def feed(net: JaxNetwork, state: dict[str, Any], tokens: Any, live: Any) -> dict[str, Any]:
    """Feed one token per stream to the windows where `live` (S,) is true; others keep state."""
    import jax.numpy as jnp

    units, emb_dim = net.units, net.embedding_dim
    embedded = net.embedding[tokens]  # (B, E)
    projected = embedded @ net.input_kernel + net.first_bias  # (B, 4H)
    hidden, cells = state["hidden"], state["cells"]  # (S, B, D), (S, B, L*H)
    h1 = hidden[..., emb_dim : emb_dim + units]
    gates = h1 @ net.recurrent_kernel + projected[None]
    out, c1 = _cell(gates, cells[..., :units], units)
    outputs, new_cells = [out], [c1]
    for layer, (kernel, bias) in enumerate(
        zip(net.stacked_kernels, net.stacked_biases, strict=True), start=2
    ):
        own = hidden[..., emb_dim + (layer - 1) * units : emb_dim + layer * units]
        gates = jnp.concatenate([outputs[-1], own], axis=-1) @ kernel + bias
        out, cell = _cell(gates, cells[..., (layer - 1) * units : layer * units], units)
        outputs.append(out)
        new_cells.append(cell)
    window_count = hidden.shape[0]
    new_hidden = jnp.concatenate(
        [jnp.broadcast_to(embedded[None], (window_count, *embedded.shape)), *outputs], axis=-1
    )
    new_cells_all = jnp.concatenate(new_cells, axis=-1)
    logits = new_hidden @ net.attention  # (S, B)
    new_max = jnp.maximum(state["att_max"], logits)
    rescale = jnp.exp(state["att_max"] - new_max)
    weight = jnp.exp(logits - new_max)
    new_den = state["att_den"] * rescale + weight
    new_num = state["att_num"] * rescale[..., None] + new_hidden * weight[..., None]
    keep = live[:, None]
    return {
        "hidden": jnp.where(keep[..., None], new_hidden, hidden),
        "cells": jnp.where(keep[..., None], new_cells_all, cells),
        "att_num": jnp.where(keep[..., None], new_num, state["att_num"]),
        "att_den": jnp.where(keep, new_den, state["att_den"]),
        "att_max": jnp.where(keep, new_max, state["att_max"]),
    }


def zero_state(net: JaxNetwork, batch: int) -> dict[str, Any]:
    import jax.numpy as jnp

    width = net.embedding_dim + (1 + len(net.stacked_kernels)) * net.units
    shape = (net.window, batch)
    return {
        "hidden": jnp.zeros((*shape, width), jnp.float32),
        "cells": jnp.zeros((*shape, width - net.embedding_dim), jnp.float32),
        "att_num": jnp.zeros((*shape, width), jnp.float32),
        "att_den": jnp.zeros(shape, jnp.float32),
        "att_max": jnp.full(shape, -jnp.inf, jnp.float32),
    }


def start(net: JaxNetwork, contexts: np.ndarray) -> dict[str, Any]:
    """States after textgenrnn's first window: contexts (B, S), already left-padded with 0."""
    import jax.numpy as jnp

    state = zero_state(net, contexts.shape[0])
    windows = jnp.arange(net.window)
    for position in range(net.window):
        state = feed(net, state, jnp.asarray(contexts[:, position]), windows <= position)
    return state


def probabilities(net: JaxNetwork, state: dict[str, Any], phase: Any) -> Any:
    """(B, classes) from window `phase` (full for every stream)."""
    import jax

    averaged = state["att_num"][phase] / (state["att_den"][phase] + _ATTENTION_EPSILON)[:, None]
    return jax.nn.softmax(averaged @ net.output_kernel + net.output_bias, axis=-1)


def advance(net: JaxNetwork, state: dict[str, Any], phase: Any, tokens: Any) -> dict[str, Any]:
    """Restart window `phase` (it was full), then feed every window the streams' new tokens."""
    import jax.numpy as jnp

    windows = jnp.arange(net.window)
    restart = windows == phase
    empty = zero_state(net, tokens.shape[0])
    state = {
        name: jnp.where(restart.reshape(-1, *([1] * (value.ndim - 1))), empty[name], value)
        for name, value in state.items()
    }
    return feed(net, state, tokens, jnp.ones_like(restart))


def make_sampler(net: JaxNetwork, *, chars: int, temperature: float) -> Any:
    """A compiled function (state, key) -> tokens (B, chars): draw, restart, feed, repeat."""
    import jax
    import jax.numpy as jnp

    def step(carry: tuple[dict[str, Any], Any, Any], _: Any) -> tuple[Any, Any]:
        state, phase, key = carry
        key, draw = jax.random.split(key)
        logits = jnp.log(probabilities(net, state, phase) + 1e-7) / temperature
        tokens = jax.random.categorical(draw, logits.at[:, 0].set(-1e9), axis=-1)
        state = advance(net, state, phase, tokens)
        return (state, (phase + 1) % net.window, key), tokens

    def run(state: dict[str, Any], key: Any) -> Any:
        _, tokens = jax.lax.scan(step, (state, jnp.int32(0), key), None, length=chars)
        return tokens.T

    return jax.jit(run)


def measure(engine: Engine, *, streams: int, chars: int, repeats: int = 3) -> dict[str, float]:
    """Characters/s in total for `streams` streams of `chars` characters (best of repeats)."""
    import jax

    net = JaxNetwork.from_arrays(engine.network)
    context = np.zeros((streams, net.window), dtype=np.int32)
    context[:, -1] = engine.end_id
    sampler = make_sampler(net, chars=chars, temperature=0.7)
    state = start(net, context)
    started = time.perf_counter()
    sampler(state, jax.random.key(0)).block_until_ready()
    compile_s = time.perf_counter() - started
    best = float("inf")
    for repeat in range(repeats):
        started = time.perf_counter()
        sampler(state, jax.random.key(repeat + 1)).block_until_ready()
        best = min(best, time.perf_counter() - started)
    return {"chars_per_s": streams * chars / best, "first_call_s": compile_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 4096])
    parser.add_argument("--chars", type=int, default=300)
    args = parser.parse_args(argv)
    import jax

    engine = Engine.pretrained()
    print(f"exact JAX stepping engine, pretrained 2x128, {args.chars} chars per stream")
    print(f"device: {jax.devices()[0]}")
    print(
        f"{'streams':>8} {'chars/s in total':>18} {'chars/s per stream':>20} {'first call s':>13}"
    )
    for streams in args.streams:
        result = measure(engine, streams=streams, chars=args.chars)
        rate = result["chars_per_s"]
        print(
            f"{streams:>8} {rate:>18,.0f} {rate / streams:>20,.0f} {result['first_call_s']:>13.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

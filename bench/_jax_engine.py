"""The exact one-step-per-token engine, as one compiled JAX loop, for GPU throughput.

The website serves with the engine's step compiled by XLA (generator/ml/engine_xla.py); a GPU
host samples thousands of streams at once, and there the same compiled step (`start_windows`,
`step_windows`: the product's, proven equal to the NumPy engine by tests/engine) runs inside one
`jax.lax.scan`, so the whole text is one program. Streams here start together from one context:
the benchmark's case. Tokens are drawn with `jax.random.categorical` at a temperature (not the
engine's seeded inverse-CDF draw): this module measures speed.

    KERAS_BACKEND=jax python bench/_jax_engine.py --streams 1 4096 --chars 300

bench/gpu.sh times it through `bench._gpu_sampling:jax_engine_sampler`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.ml.engine import Engine, NetworkArrays
from generator.ml.engine_xla import NetworkShape, device_weights, start_windows, step_windows


def make_sampler(network: NetworkArrays, *, chars: int, temperature: float) -> Any:
    """A compiled function (contexts (B, window) left-padded, key) -> tokens (B, chars):
    textgenrnn's first window, then draw, restart the full window, feed, repeat."""
    import jax
    import jax.numpy as jnp

    shape = NetworkShape(network.window, network.units, network.embedding_dim, network.layers)
    weights = device_weights(network)

    def step(carry: tuple[Any, Any, Any, Any], _: Any) -> tuple[Any, Any]:
        states, phase, probabilities, key = carry
        key, draw = jax.random.split(key)
        logits = jnp.log(probabilities + 1e-7) / temperature
        tokens = jax.random.categorical(draw, logits.at[:, 0].set(-1e9), axis=-1)
        states, probabilities = step_windows(shape, weights, states, phase, tokens)
        return (states, (phase + 1) % shape.window, probabilities, key), tokens

    def run(contexts: Any, key: Any) -> Any:
        states, probabilities = start_windows(shape, weights, contexts)
        phase = jnp.zeros(contexts.shape[0], jnp.int32)
        _, tokens = jax.lax.scan(step, (states, phase, probabilities, key), None, length=chars)
        return tokens.T

    return jax.jit(run)


def measure(engine: Engine, *, streams: int, chars: int, repeats: int = 3) -> dict[str, float]:
    """Characters/s in total for `streams` streams of `chars` characters (best of repeats)."""
    import jax

    context = np.zeros((streams, engine.network.window), dtype=np.int32)
    context[:, -1] = engine.end_id
    sampler = make_sampler(engine.network, chars=chars, temperature=0.7)
    started = time.perf_counter()
    sampler(context, jax.random.key(0)).block_until_ready()
    compile_s = time.perf_counter() - started
    best = float("inf")
    for repeat in range(repeats):
        started = time.perf_counter()
        sampler(context, jax.random.key(repeat + 1)).block_until_ready()
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

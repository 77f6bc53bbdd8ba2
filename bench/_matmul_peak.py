"""Float32 matrix-multiply rates of this machine through the Keras backend, in GFLOP/s.

A helper of train_throughput.py, run as a subprocess so that it gets the backend's default
thread pools (every core) whatever the training process chose. Two rates:
- "gemm": large square matrices, the best case for any kernel library;
- "recurrent": the matmuls an LSTM cannot batch over time, (batch x units) @ (units x 4 units)
  forward and (batch x 4 units) @ (4 units x units) backward, each waiting for the one before,
  compiled into one function (no Python between them).
    python bench/_matmul_peak.py --batch 128 --units 128      # prints {"gemm": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

SIZE = 2048
CHAIN = 80  # dependent forward+backward pairs per call: 2 layers x 40 steps


def _best_seconds(run: Callable[[], Any], repeats: int) -> float:
    run()  # warm up (and compile)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def gemm_gflops(size: int = SIZE, repeats: int = 12) -> float:
    rng = np.random.default_rng(0)
    a = keras.ops.convert_to_tensor(rng.standard_normal((size, size), dtype=np.float32))
    b = keras.ops.convert_to_tensor(rng.standard_normal((size, size), dtype=np.float32))
    seconds = _best_seconds(lambda: keras.ops.convert_to_numpy(keras.ops.matmul(a, b)), repeats)
    return 2 * size**3 / seconds / 1e9


def _compiled(function: Callable[..., Any]) -> Callable[..., Any]:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, autograph=False)
    if backend == "jax":
        import jax

        return jax.jit(function)
    raise SystemExit(f"no compiled chain for the {backend} backend")


def recurrent_gflops(batch: int, units: int, repeats: int = 20) -> float:
    rng = np.random.default_rng(0)
    h = keras.ops.convert_to_tensor(rng.standard_normal((batch, units), dtype=np.float32))
    u = keras.ops.convert_to_tensor(
        0.05 * rng.standard_normal((units, 4 * units), dtype=np.float32)
    )
    ut = keras.ops.transpose(u)

    def chain(h: Any, u: Any, ut: Any) -> Any:
        for _ in range(CHAIN):
            h = keras.ops.matmul(keras.ops.matmul(h, u), ut)
        return h

    compiled = _compiled(chain)
    seconds = _best_seconds(lambda: keras.ops.convert_to_numpy(compiled(h, u, ut)), repeats)
    return CHAIN * 2 * (2 * batch * units * 4 * units) / seconds / 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--units", type=int, default=128)
    args = parser.parse_args()
    print(
        json.dumps(
            {
                "backend": keras.backend.backend(),
                "gemm": gemm_gflops(),
                "recurrent": recurrent_gflops(args.batch, args.units),
            }
        )
    )


if __name__ == "__main__":
    main()

"""The float32 matrix-multiply peak of this machine through the Keras backend, in GFLOP/s.

A helper of train_throughput.py, run as a subprocess so that it gets the backend's default
thread pools (every core) whatever the training process chose. It multiplies large square
matrices, the best case for any kernel library: the result bounds what a training step made of
matrix multiplies could reach here.
    python bench/_matmul_peak.py            # prints {"backend": ..., "gemm": ...}
"""

from __future__ import annotations

import json
import time

import keras
import numpy as np

SIZE = 2048
REPEATS = 12


def gemm_gflops(size: int = SIZE, repeats: int = REPEATS) -> float:
    rng = np.random.default_rng(0)
    a = keras.ops.convert_to_tensor(rng.standard_normal((size, size), dtype=np.float32))
    b = keras.ops.convert_to_tensor(rng.standard_normal((size, size), dtype=np.float32))
    keras.ops.convert_to_numpy(keras.ops.matmul(a, b))  # warm up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best / 1e9


if __name__ == "__main__":
    print(json.dumps({"backend": keras.backend.backend(), "gemm": gemm_gflops()}))

"""What the Keras backend gives training: its device, its CPU thread pools, unrolled loops.

Plain functions the training service calls before a session starts; they read (and for
TensorFlow's thread pools, set) process-wide backend state, and know nothing of runs.
"""

from __future__ import annotations

import keras

from generator.ml.config import MLError


class BackendError(MLError):
    """The backend cannot be set up as asked (e.g. a negative thread count)."""


def backend_name() -> str:
    """ "tensorflow", "jax" or "torch": the Keras backend of this process."""
    return str(keras.backend.backend())


def training_device() -> str:
    """ "GPU" when the Keras backend sees one, else "CPU"."""
    backend = backend_name()
    try:
        if backend == "jax":
            import jax

            return "GPU" if any(d.platform == "gpu" for d in jax.devices()) else "CPU"
        if backend == "tensorflow":
            import tensorflow as tf

            return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
        if backend == "torch":
            import torch

            return "GPU" if torch.cuda.is_available() else "CPU"
    except RuntimeError:  # a backend with no usable device list answers CPU
        return "CPU"
    return "CPU"


# A run of fewer windows than this (epochs x windows an epoch) trains sooner with the rolled
# loop: on TensorFlow (CPU) the unrolled graph takes about 3.3 s longer to build, and saves about
# 0.09–0.16 ms a window after that (all-positions windows, demo corpus and 200,000 characters
# of tinyshakespeare; docs/benchmarks.md, "Time to quality").
UNROLL_MIN_WINDOWS = 30_000


def unroll_for_training(planned_windows: int | None = None) -> bool:
    """Whether to unroll the LSTMs' fixed-length loop for a run of `planned_windows` windows
    (None: a long run).

    On TensorFlow, unrolling the `max_length` steps trains 10–20% more windows/s on CPU than
    TensorFlow's while-loop (bench/train_throughput.py), once its larger graph is built: a short
    run (under UNROLL_MIN_WINDOWS) finishes sooner rolled. On JAX, XLA compiles the scan itself.
    The weights are the same either way, so serving builds the rolled model.
    """
    if backend_name() != "tensorflow":
        return False
    return planned_windows is None or planned_windows >= UNROLL_MIN_WINDOWS


def configure_cpu_threads(*, intra_op: int, inter_op: int) -> bool:
    """Set TensorFlow's CPU thread pools for this process; True if they were set.

    Must run before TensorFlow's first op; afterwards the pools are fixed and this returns
    False (the process keeps TensorFlow's defaults). 0 means TensorFlow's own choice. The
    unrolled training graph is thousands of small ops that can run side by side (the two LSTMs
    work as a wavefront), so on 2 cores one thread per op and two ops at a time (1, 2) trained
    about 10% more windows/s than TensorFlow's default (2, 2), with the same weights bit for
    bit (bench/train_throughput.py). Other backends manage their own threads: no-op there.
    """
    if intra_op < 0 or inter_op < 0:
        raise BackendError(f"thread counts cannot be negative, got {intra_op}, {inter_op}")
    if backend_name() != "tensorflow":
        return False
    import tensorflow as tf

    threading_config = tf.config.threading
    wanted = (intra_op, inter_op)
    current = (
        threading_config.get_intra_op_parallelism_threads(),
        threading_config.get_inter_op_parallelism_threads(),
    )
    if current == wanted:
        return True
    try:
        threading_config.set_intra_op_parallelism_threads(intra_op)
        threading_config.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError:  # TensorFlow already ran an op in this process
        return False
    return True

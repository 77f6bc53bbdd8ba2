"""Training's CPU thread pools: set before TensorFlow starts, left alone after, never a crash."""

from __future__ import annotations

import subprocess
import sys

import keras
import pytest

from generator.ml.backend import BackendError, configure_cpu_threads
from tests.ml.conftest import REPO_ROOT

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="thread pools are TensorFlow's"
)

FRESH_PROCESS = """
import tensorflow as tf
from generator.ml.backend import configure_cpu_threads
print(configure_cpu_threads(intra_op=1, inter_op=2))
tf.constant([1.0]) + 1.0  # TensorFlow starts here, with the pools set above
print(tf.config.threading.get_intra_op_parallelism_threads(),
      tf.config.threading.get_inter_op_parallelism_threads())
print(configure_cpu_threads(intra_op=1, inter_op=2), configure_cpu_threads(intra_op=3, inter_op=3))
"""


def test_a_fresh_process_trains_with_the_pools_asked_for() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # Set; in force once TensorFlow runs; asking again for the same is fine, for others refused.
    assert done.stdout.split() == ["True", "1", "2", "True", "False"]


def test_a_process_where_tensorflow_already_runs_keeps_its_pools() -> None:
    import tensorflow as tf

    tf.constant([1.0]) + 1.0
    before = tf.config.threading.get_intra_op_parallelism_threads()
    assert configure_cpu_threads(intra_op=before + 7, inter_op=5) is False
    assert tf.config.threading.get_intra_op_parallelism_threads() == before


def test_negative_thread_counts_are_refused() -> None:
    with pytest.raises(BackendError, match="cannot be negative"):
        configure_cpu_threads(intra_op=-1, inter_op=0)

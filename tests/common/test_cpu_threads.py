"""One compute thread per process: OpenBLAS and XLA asked for one thread, the caller's own
values kept."""

from __future__ import annotations

import os
import subprocess
import sys

from common.cpu_threads import XLA_ONE_THREAD_FLAGS, use_one_compute_thread


def test_it_asks_openblas_and_xla_for_one_thread() -> None:
    environ: dict[str, str] = {}
    use_one_compute_thread(environ)
    assert environ["OPENBLAS_NUM_THREADS"] == "1"
    assert environ["XLA_FLAGS"].split() == list(XLA_ONE_THREAD_FLAGS)


def test_it_keeps_the_callers_values_and_other_xla_flags() -> None:
    environ = {
        "OPENBLAS_NUM_THREADS": "2",
        "XLA_FLAGS": "--xla_dump_to=/tmp/x --xla_cpu_multi_thread_eigen=true",
    }
    use_one_compute_thread(environ)
    assert environ["OPENBLAS_NUM_THREADS"] == "2"
    assert environ["XLA_FLAGS"] == "--xla_dump_to=/tmp/x --xla_cpu_multi_thread_eigen=true"


def test_xla_accepts_the_flags_it_sets() -> None:
    # XLA aborts the process on a flag it does not know: prove JAX starts with ours.
    environ = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    use_one_compute_thread(environ)
    completed = subprocess.run(
        [sys.executable, "-c", "import jax.numpy as jnp; print(float(jnp.ones(3).sum()))"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() == "3.0"

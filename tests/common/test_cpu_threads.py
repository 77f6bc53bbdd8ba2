"""One compute thread per process: OpenBLAS and XLA asked for one thread, the caller's own
values kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


_START_SCRIPT = r"""
import json, os
from common.cpu_threads import start_jax_cpu
before = sorted(os.sched_getaffinity(0))
start_jax_cpu()
import jax.numpy as jnp
total = float((jnp.ones((64, 64)) @ jnp.ones((64, 64))).sum())
threads = [sorted(os.sched_getaffinity(int(t))) for t in os.listdir("/proc/self/task")]
print(json.dumps({"before": before, "threads": threads, "total": total}))
"""


def test_jax_starts_on_one_thread_and_every_thread_keeps_the_processs_cpus() -> None:
    environ = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    use_one_compute_thread(environ)
    completed = subprocess.run(
        [sys.executable, "-c", _START_SCRIPT],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["total"] == 64.0 * 64 * 64
    # The client started on one CPU; afterwards no thread is left pinned to it.
    assert all(cpus == report["before"] for cpus in report["threads"])

"""Compute threads per process: OpenBLAS asked for one thread, XLA for the caller's count (one
by default), the caller's own values kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from common.cpu_threads import (
    THREADS_VARIABLE,
    XLA_ONE_THREAD_FLAGS,
    client_cpus,
    use_compute_threads,
)


def test_it_asks_openblas_and_xla_for_one_thread() -> None:
    environ: dict[str, str] = {}
    use_compute_threads(environ)
    assert environ["OPENBLAS_NUM_THREADS"] == "1"
    assert environ[THREADS_VARIABLE] == "1"
    assert environ["XLA_FLAGS"].split() == list(XLA_ONE_THREAD_FLAGS)


def test_xla_may_be_asked_for_more_threads_and_openblas_still_for_one() -> None:
    environ: dict[str, str] = {}
    use_compute_threads(environ, xla_threads=2)
    assert environ[THREADS_VARIABLE] == "2"
    assert environ["OPENBLAS_NUM_THREADS"] == "1"


def test_the_client_starts_on_the_lowest_cpus_asked_for() -> None:
    assert client_cpus({3, 5, 7, 9}, "2") == {3, 5}
    assert client_cpus({0, 1}, "1") == {0}


def test_no_narrowing_without_a_sensible_count_below_the_cpus() -> None:
    for requested in (None, "", "two", "0", "-1", "2", "8"):
        assert client_cpus({0, 1}, requested) is None, requested


def test_it_keeps_the_callers_values_and_other_xla_flags() -> None:
    environ = {
        "OPENBLAS_NUM_THREADS": "2",
        THREADS_VARIABLE: "4",
        "XLA_FLAGS": "--xla_dump_to=/tmp/x --xla_cpu_multi_thread_eigen=true",
    }
    use_compute_threads(environ)
    assert environ["OPENBLAS_NUM_THREADS"] == "2"
    assert environ[THREADS_VARIABLE] == "4"
    assert environ["XLA_FLAGS"] == "--xla_dump_to=/tmp/x --xla_cpu_multi_thread_eigen=true"


def test_xla_accepts_the_flags_it_sets() -> None:
    # XLA aborts the process on a flag it does not know: prove JAX starts with ours.
    environ = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    use_compute_threads(environ)
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
    use_compute_threads(environ)
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

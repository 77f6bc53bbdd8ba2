"""Compute threads per process: the numeric libraries' thread pools, set before they start.

A gunicorn worker steps its batch of streams mostly on one core. `use_compute_threads` sets the
pools in the environment before NumPy or JAX is imported (gunicorn.conf.py calls it for the
workers, the benchmarks for themselves):
- OpenBLAS (the NumPy engine's matrix products) sizes its pool from OPENBLAS_NUM_THREADS at
  load: always one thread. The NumPy engine's products are small and many; with OpenBLAS'
  default pool a worker on a loaded machine stalled (20x slower in the first measurement).
- XLA (the compiled engine, JAX on CPU) has no setting for its pool: it takes one thread per CPU
  the process may run on when JAX starts its CPU client (--xla_cpu_multi_thread_eigen=false
  only covers Eigen's own ops). So `start_jax_cpu` starts that client while the process may run
  on only as many CPUs as RAPLYRICS_COMPUTE_THREADS asks for, then gives every thread back the
  CPUs it had: XLA's pool has that many threads, the OS still picks the cores.

A worker asks for one XLA thread (the default here). Two let a lone request's step (a batch of
8 streams: 40 x 8 window rows through two LSTM layers) run on both cores of a 2-core machine:
through gunicorn the default request's p50 went 349 -> 310 ms, but with 8 clients, where both
workers' pools share the cores, requests/s fell 4.87 -> 3.77 and p95 rose 1.8 -> 2.9 s (same
run; docs/benchmarks.md). A site that mostly serves one person at a time may set
RAPLYRICS_COMPUTE_THREADS=2 for its workers.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import MutableMapping

# How many threads XLA's pool gets; read by start_jax_cpu.
THREADS_VARIABLE = "RAPLYRICS_COMPUTE_THREADS"
XLA_ONE_THREAD_FLAGS = ("--xla_cpu_multi_thread_eigen=false",)


def use_compute_threads(environ: MutableMapping[str, str], *, xla_threads: int = 1) -> None:
    """Ask OpenBLAS for one thread and XLA for `xla_threads`; values already set by the caller
    are kept."""
    environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    environ.setdefault(THREADS_VARIABLE, str(xla_threads))
    present = environ.get("XLA_FLAGS", "").split()
    names = {flag.split("=")[0] for flag in present}
    added = [flag for flag in XLA_ONE_THREAD_FLAGS if flag.split("=")[0] not in names]
    environ["XLA_FLAGS"] = " ".join([*present, *added])


def client_cpus(cpus: set[int], requested: str | None) -> set[int] | None:
    """The CPUs to start JAX's client on for a pool of `requested` threads (the variable's
    value): the lowest that many of the process's CPUs; None where no restriction applies (no
    or a malformed request, or as many threads as CPUs or more)."""
    try:
        threads = int(requested or "")
    except ValueError:
        return None
    if threads < 1 or threads >= len(cpus):
        return None
    return set(sorted(cpus)[:threads])


_jax_started = False


def start_jax_cpu() -> None:
    """Start JAX's CPU client (before its first use), with as many threads in XLA's pool as
    use_compute_threads asked for. Later calls do nothing."""
    global _jax_started
    if _jax_started:
        return
    _jax_started = True
    import jax

    if not hasattr(os, "sched_setaffinity"):
        jax.devices()
        return
    cpus = os.sched_getaffinity(0)
    narrowed = client_cpus(cpus, os.environ.get(THREADS_VARIABLE))
    if narrowed is None:
        jax.devices()
        return
    os.sched_setaffinity(0, narrowed)
    try:
        jax.devices()  # the client and its thread pool start here, sized to those CPUs
    finally:
        for thread_id in os.listdir("/proc/self/task"):  # threads started meanwhile included
            with contextlib.suppress(OSError):  # a thread that has ended since
                os.sched_setaffinity(int(thread_id), cpus)

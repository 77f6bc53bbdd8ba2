"""One compute thread per process: the numeric libraries' thread pools, set before they start.

A gunicorn worker steps its batch of streams on one core; a thread pool per worker would only
fight the other workers for the cores (and stall whenever one of its threads is descheduled).
`use_one_compute_thread` asks for that in the environment before NumPy or JAX is imported
(gunicorn.conf.py calls it for the workers, the benchmarks for themselves):
- OpenBLAS (the NumPy engine's matrix products) sizes its pool from OPENBLAS_NUM_THREADS at load;
- XLA (the compiled engine, JAX on CPU) has no setting for its pool: it takes one thread per CPU
  the process may run on when JAX starts its CPU client (measured: a batch of 8 kept 1.7 cores
  busy with --xla_cpu_multi_thread_eigen=false set, which only covers Eigen's own ops). So
  `start_jax_cpu` starts that client while the process may run on one CPU, then gives every
  thread back the CPUs it had: XLA's pool has one thread, the OS still picks the core.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import MutableMapping

# Asks the engines for one thread; read by start_jax_cpu.
THREADS_VARIABLE = "RAPLYRICS_COMPUTE_THREADS"
XLA_ONE_THREAD_FLAGS = ("--xla_cpu_multi_thread_eigen=false",)


def use_one_compute_thread(environ: MutableMapping[str, str]) -> None:
    """Ask OpenBLAS and XLA for one thread each; values already set by the caller are kept."""
    environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    environ.setdefault(THREADS_VARIABLE, "1")
    present = environ.get("XLA_FLAGS", "").split()
    names = {flag.split("=")[0] for flag in present}
    added = [flag for flag in XLA_ONE_THREAD_FLAGS if flag.split("=")[0] not in names]
    environ["XLA_FLAGS"] = " ".join([*present, *added])


_jax_started = False


def start_jax_cpu() -> None:
    """Start JAX's CPU client (before its first use), with one thread in XLA's pool when
    use_one_compute_thread asked for it. Later calls do nothing."""
    global _jax_started
    if _jax_started:
        return
    _jax_started = True
    import jax

    one = os.environ.get(THREADS_VARIABLE) == "1" and hasattr(os, "sched_setaffinity")
    if not one:
        jax.devices()
        return
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        jax.devices()  # the client and its thread pool start here, sized to one CPU
    finally:
        for thread_id in os.listdir("/proc/self/task"):  # threads started meanwhile included
            with contextlib.suppress(OSError):  # a thread that has ended since
                os.sched_setaffinity(int(thread_id), cpus)

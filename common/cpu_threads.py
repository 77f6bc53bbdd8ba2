"""One compute thread per process: the numeric libraries' thread pools, set before they load.

A gunicorn worker steps its batch of streams on one core; a thread pool per worker would only
fight the other workers for the cores (and stall whenever one of its threads is descheduled).
OpenBLAS (the NumPy engine's matrix products) and XLA (the compiled engine, JAX on CPU) each size
their pools once, when they load, from the environment, so this must run before NumPy or JAX is
imported: gunicorn.conf.py calls it for the workers, the benchmarks for themselves.
"""

from __future__ import annotations

from collections.abc import MutableMapping

# XLA has no flag that sizes its CPU pool to a count; this one runs each op on the calling
# thread (XLA_FLAGS rejects unknown flags at startup, so this is one XLA knows).
XLA_ONE_THREAD_FLAGS = ("--xla_cpu_multi_thread_eigen=false",)


def use_one_compute_thread(environ: MutableMapping[str, str]) -> None:
    """Ask OpenBLAS and XLA for one thread each; values already set by the caller are kept."""
    environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    present = environ.get("XLA_FLAGS", "").split()
    names = {flag.split("=")[0] for flag in present}
    added = [flag for flag in XLA_ONE_THREAD_FLAGS if flag.split("=")[0] not in names]
    environ["XLA_FLAGS"] = " ".join([*present, *added])

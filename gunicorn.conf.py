"""gunicorn settings for `make run` and production (systemd runs the same file).

The model is loaded after the fork, once per worker (each worker owns the thread that steps its
batch of streams): never --preload. Workers sample with the exact engine (compiled by XLA, or
NumPy: RAPLYRICS_SERVING_ENGINE); TensorFlow stays out of them.
"""

from __future__ import annotations

import os

from common.cpu_threads import use_compute_threads

# A worker steps its batch on one core: one BLAS thread and one XLA thread, fixed here (before
# the workers import NumPy or JAX) for every worker. RAPLYRICS_COMPUTE_THREADS=2 gives XLA two:
# faster alone, slower under load (common/cpu_threads.py has the measurements).
use_compute_threads(os.environ)

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads are cheap and mostly wait (for a body, for a generation slot): enough of them that a
# burst waits inside Django, where the wait counts toward the generation deadline and a request
# that cannot start in time gets 503 at once (generator.admission), not in gunicorn's queue.
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
worker_class = "gthread"
# gthread's heartbeat: a worker whose main loop hangs this long is restarted. It does NOT end a
# long request; generation ends itself at RAPLYRICS_GENERATION_TIME_LIMIT_S.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# gunicorn waits a few seconds for a request's first bytes, but then reads headers and body with
# no limit: a client that promises a body and never sends it would hold a thread for good. Every
# socket read and write of a request must make progress within this many seconds (pre_request).
body_read_timeout_s = float(os.environ.get("GUNICORN_BODY_READ_TIMEOUT_S", "15"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound; jitter keeps them apart.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = 100
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "raplyrics"
# gunicorn's control socket defaults to one path per user (~/.gunicorn): two servers of one user
# (make run beside a test's gunicorn) would fight over it. Keep it beside the site's data.
_data_dir = os.environ.get("RAPLYRICS_DATA_DIR") or os.path.join(os.path.dirname(__file__), "var")
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", os.path.join(_data_dir, "gunicorn.ctl"))


def pre_request(worker: object, req: object) -> None:
    """Bound the wait for each chunk of the body (and each write of the response)."""
    connection = getattr(getattr(req, "unreader", None), "sock", None)
    if connection is not None:
        connection.settimeout(body_read_timeout_s)


def _return_freed_heap() -> None:
    """Give back to the OS the heap that loading and compiling freed (glibc keeps it otherwise):
    about 25 MiB of a worker's resident memory after the compiled engine's warm-up."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None  # glibc only
    if trim is not None:
        trim(0)


def post_worker_init(worker: object) -> None:
    """Load and warm the served model in each worker after the fork, before it takes requests.

    A failure here is logged, not fatal: the worker then loads the model on its first request and
    that request answers with the reason if the model still cannot be served.
    """
    import logging

    from generator.serving import warm

    try:
        served = warm()
        _return_freed_heap()
        logging.getLogger("gunicorn.error").info("worker ready, serving %s", served.name)
    except Exception:
        logging.getLogger("gunicorn.error").exception("warming the model failed")

"""gunicorn settings for `make run` and production (systemd runs the same file).

The model is loaded after the fork, once per worker (each worker owns the thread that steps its
batch of streams): never --preload. Workers sample with NumPy; TensorFlow stays out of them.
"""

from __future__ import annotations

import os

# A worker steps its batch on one core; a BLAS pool per worker would only fight the other
# workers for the cores (and stall whenever one of its threads is descheduled).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
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


def post_worker_init(worker: object) -> None:
    """Load and warm the served model in each worker after the fork, before it takes requests.

    A failure here is logged, not fatal: the worker then loads the model on its first request and
    that request answers with the reason if the model still cannot be served.
    """
    import logging

    from generator.serving import warm

    try:
        served = warm()
        logging.getLogger("gunicorn.error").info("worker ready, serving %s", served.name)
    except Exception:
        logging.getLogger("gunicorn.error").exception("warming the model failed")

"""Pick the real services for the test run before Django reads its settings.

Loaded as a pytest plugin (`-p tests.testenv` in pyproject), so it runs before pytest-django
sets Django up. When PostgreSQL and Redis answer on 127.0.0.1 (as on CI) the suite uses them;
otherwise it falls back to SQLite and eager Celery. DATABASE_URL / CELERY_BROKER_URL set by the
caller win. The choice is printed in the run's first lines.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest

# A name of this run's own: pytest-django creates `test_<name>`, so two runs on one machine
# (a developer's and a helper's) never drop each other's test database.
POSTGRES_URL = f"postgres://postgres@127.0.0.1:5432/raplyrics_{os.getpid()}"
REDIS_URL = "redis://127.0.0.1:6379/14"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _choose_services() -> tuple[str, str]:
    if "DATABASE_URL" in os.environ:
        database = "configured"
    elif _reachable("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = POSTGRES_URL
        database = "postgresql (127.0.0.1:5432)"
    else:
        database = "sqlite (fallback: no PostgreSQL on 127.0.0.1:5432)"
    if "CELERY_BROKER_URL" in os.environ:
        broker = "configured"
    elif _reachable("127.0.0.1", 6379):
        os.environ["CELERY_BROKER_URL"] = REDIS_URL
        os.environ.setdefault("CELERY_RESULT_BACKEND", REDIS_URL)
        broker = "redis (127.0.0.1:6379)"
    else:
        broker = "none (fallback: eager Celery; worker tests skip)"
    return database, broker


DATABASE_CHOICE, BROKER_CHOICE = _choose_services()
# Tests call tasks in-process unless a test starts a worker itself.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ["RAPLYRICS_TRAINING_LOCAL_PROCESS"] = "0"
# Training tests train dozens of tiny runs: evaluating each would double their time. The
# evaluation's own tests turn it on (tests/evaluation/test_after_training.py).
os.environ["RAPLYRICS_EVALUATE_AFTER_TRAINING"] = "0"
os.environ.setdefault("DJANGO_DEBUG", "1")
# Artifacts and data of the run never land in the developer's var/, and each xdist worker has a
# folder of its own: the file cache (throttle counters) and model cache must not be shared, or
# one worker's cache.clear() wipes another's counts mid-test.
_TEST_DATA_ROOT = os.environ.setdefault(
    "RAPLYRICS_TEST_DATA_ROOT", tempfile.mkdtemp(prefix="raplyrics-test-")
)
_DATA_DIR = Path(_TEST_DATA_ROOT) / os.environ.get("PYTEST_XDIST_WORKER", "main")
_DATA_DIR.mkdir(parents=True, exist_ok=True)
os.environ["RAPLYRICS_DATA_DIR"] = str(_DATA_DIR)
os.environ["ARTIFACTS_DIR"] = str(_DATA_DIR / "artifacts")
# Tests never reach Genius or AWS.
os.environ["GENIUS_API_URL"] = "http://127.0.0.1:9"
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# One BLAS thread per process, as gunicorn.conf.py sets for a worker: the suite runs in parallel
# processes on few cores, where a second BLAS thread per process only fights the others (the
# NumPy engine ran many times slower with OpenBLAS' default threads on a loaded machine).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Commands the tests start run as they do from a user's shell: this sandbox and CI set
# PYTHONUNBUFFERED=1, which hid stdout's 8 KB buffering behind a pipe (every line of a training
# run arrived at its end). Where the product wants it unbuffered it says so itself
# (deploy/stack.py, manage.py's line buffering).
os.environ.pop("PYTHONUNBUFFERED", None)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"database: {DATABASE_CHOICE}", f"celery broker: {BROKER_CHOICE}"]

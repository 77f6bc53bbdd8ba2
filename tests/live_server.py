"""A real gunicorn with the project's gunicorn.conf.py on a free loopback port, for tests that
need real sockets (curl, stalled bodies, killed workers)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from common.processes import (
    ServerFailed,
    free_port,
    migrate,
    start_gunicorn,
    stop_process,
    wait_for_gunicorn_workers,
    worker_pids,
)


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    host: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        return worker_pids(self.process.pid)


@contextmanager
def live_gunicorn_server(tmp_path: Path, **env_overrides: str) -> Iterator[LiveServer]:
    """Migrate a fresh SQLite database, start gunicorn, wait until its workers have warmed the
    model; stop it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "RAPLYRICS_DATA_DIR": str(tmp_path),
        "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        **env_overrides,
    }
    env.pop("CELERY_BROKER_URL", None)
    migrate(env=env)
    log_path = tmp_path / "gunicorn.log"
    server = start_gunicorn(env=env, log_file=log_path)
    live = LiveServer(f"http://127.0.0.1:{port}", "127.0.0.1", port, log_path, server)
    try:
        # Ready means every worker has warmed the model (post_worker_init) and answers.
        try:
            wait_for_gunicorn_workers(
                server, log_file=log_path, workers=int(env["GUNICORN_WORKERS"]), timeout_s=120
            )
        except ServerFailed as failure:
            pytest.fail(str(failure))
        assert requests.get(f"{live.base_url}/healthz", timeout=10).json() == {"status": "ok"}
        yield live
    finally:
        stop_process(server, name="gunicorn", grace_s=30)

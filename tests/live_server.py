"""A real gunicorn with the project's gunicorn.conf.py on a free loopback port, for tests that
need real sockets (curl, stalled bodies, killed workers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]


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
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_gunicorn_server(tmp_path: Path, **env_overrides: str) -> Iterator[LiveServer]:
    """Migrate a fresh SQLite database, start gunicorn, wait until its workers have warmed the
    model; stop it afterwards."""
    port = _free_port()
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
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=180,
    )
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("w")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "raplyrics.wsgi"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    live = LiveServer(f"http://127.0.0.1:{port}", "127.0.0.1", port, log_path, server)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            # Ready means every worker has warmed the model (post_worker_init) and answers.
            if live.log().count("worker ready") >= int(env["GUNICORN_WORKERS"]):
                break
            assert server.poll() is None, live.log()[-3000:]
            time.sleep(0.5)
        else:
            pytest.fail("gunicorn did not become ready in 120 s")
        assert requests.get(f"{live.base_url}/healthz", timeout=10).json() == {"status": "ok"}
        yield live
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

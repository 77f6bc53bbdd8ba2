"""The real thing: gunicorn with the project's gunicorn.conf.py answers curl on /api/generate."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_gunicorn(tmp_path: Path) -> Iterator[str]:
    with running_gunicorn(tmp_path, workers=1) as (base, _):
        yield base


@contextlib.contextmanager
def running_gunicorn(
    tmp_path: Path, *, workers: int, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn with the project's config on a free port; yields its URL and master process."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "RAPLYRICS_DATA_DIR": str(tmp_path),
        "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        **(extra_env or {}),
    }
    env.pop("CELERY_BROKER_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=180,
    )
    log = (tmp_path / "gunicorn.log").open("w")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "raplyrics.wsgi"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            # Ready means every worker has warmed the model (post_worker_init) and answers.
            if (tmp_path / "gunicorn.log").read_text().count("worker ready") >= workers:
                break
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            time.sleep(0.5)
        else:
            pytest.fail("gunicorn did not become ready in 120 s")
        assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
        yield base, server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_gunicorn_answers_curl_with_lyrics(live_gunicorn: str) -> None:
    body = json.dumps({"prefix": "Out the window", "lines": 2, "seed": 11})
    result = subprocess.run(
        ["curl", "-sS", "-X", "POST", "-H", "Content-Type: application/json", "-d", body,
         f"{live_gunicorn}/api/generate"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    answer = json.loads(result.stdout)
    assert answer["seed"] == 11
    assert answer["lines"][0].lower().startswith("out the window")
    assert answer["model"]["name"] == "textgenrnn pretrained"

    legacy = requests.post(f"{live_gunicorn}/apiUS", data={"input": "Hey"}, timeout=60)
    assert legacy.status_code == 200
    assert legacy.json()["output"].lower().startswith("hey")


def _worker_pids(master: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _client_ports_of(pid: int, server_port: int) -> set[int]:
    """The client ports of the connections a worker process holds (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = row.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if fields[9] in inodes and local_port == server_port:
            ports.add(remote_port)
    return ports


def test_a_worker_killed_mid_batch_fails_only_its_own_requests(tmp_path: Path) -> None:
    # Long requests (seconds each), and a time limit that never cuts the survivors short on a
    # busy machine: only the kill may fail a request here.
    limit = {"RAPLYRICS_GENERATION_TIME_LIMIT_S": "300"}
    with running_gunicorn(tmp_path, workers=2, extra_env=limit) as (base, master):
        port = int(base.rsplit(":", 1)[1])
        body = json.dumps({"prefix": "Keep going", "lines": 12, "candidates": 12, "seed": 1})
        connections = []
        for _ in range(4):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            connection.connect()
            connections.append(connection)
        outcomes: dict[int, object] = {}

        def send(connection: http.client.HTTPConnection) -> None:
            client_port = connection.sock.getsockname()[1]
            try:
                connection.request(
                    "POST", "/api/generate", body, {"Content-Type": "application/json"}
                )
                outcomes[client_port] = connection.getresponse().status
            except (ConnectionError, http.client.HTTPException) as error:
                outcomes[client_port] = error

        threads = [threading.Thread(target=send, args=(c,)) for c in connections]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # the requests are being written (16 lines of 16 candidates)
        owners = {pid: _client_ports_of(pid, port) for pid in _worker_pids(master)}
        victim = max(owners, key=lambda pid: len(owners[pid]))
        assert owners[victim], "no worker holds a request yet"
        os.kill(victim, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=300)

        for client_port, outcome in outcomes.items():
            if client_port in owners[victim]:
                assert isinstance(outcome, Exception), outcome
            else:
                assert outcome == 200, outcome
        after = requests.post(f"{base}/api/generate", json={"lines": 1, "seed": 2}, timeout=60)
        assert after.status_code == 200

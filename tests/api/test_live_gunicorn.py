"""The real thing: gunicorn with the project's gunicorn.conf.py answers curl on /api/generate."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.live_server import live_gunicorn_server

pytestmark = pytest.mark.slow


@pytest.fixture
def live_gunicorn(tmp_path: Path) -> Iterator[str]:
    with live_gunicorn_server(tmp_path) as server:
        yield server.base_url


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
    with live_gunicorn_server(tmp_path, GUNICORN_WORKERS="2", **limit) as server:
        base, port = server.base_url, server.port
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
        owners = {pid: _client_ports_of(pid, port) for pid in server.worker_pids()}
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

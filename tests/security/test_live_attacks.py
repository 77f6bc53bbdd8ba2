"""Attacks only a real server shows: a client that promises a body and never sends it, a client
that leaves mid-generation, a worker killed mid-request. Against gunicorn with the project's
gunicorn.conf.py, one worker."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.live_server import LiveServer, live_gunicorn_server

pytestmark = pytest.mark.slow

BODY_READ_TIMEOUT_S = 2
HEAVY = {"prefix": "Late night", "lines": 16, "candidates": 16, "seed": 1}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_gunicorn_server(
        tmp_path_factory.mktemp("live-attacks"),
        GUNICORN_BODY_READ_TIMEOUT_S=str(BODY_READ_TIMEOUT_S),
        GUNICORN_THREADS="4",
        RAPLYRICS_GENERATE_RATE="1000/min",
        RAPLYRICS_GENERATION_TIME_LIMIT_S="60",
    ) as live:
        yield live


def _stalled_post(server: LiveServer) -> socket.socket:
    connection = socket.create_connection((server.host, server.port), timeout=30)
    connection.sendall(
        b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    )
    return connection


def _post_raw(server: LiveServer, body: dict[str, object]) -> socket.socket:
    payload = json.dumps(body).encode()
    connection = socket.create_connection((server.host, server.port), timeout=120)
    connection.sendall(
        b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    return connection


def test_a_body_that_never_arrives_is_cut_off_and_frees_its_thread(server: LiveServer) -> None:
    # More stalled clients than the worker has threads: without a bound they would hold them all.
    stalled = [_stalled_post(server) for _ in range(6)]
    try:
        started = time.monotonic()
        answers = [connection.recv(300).decode(errors="replace") for connection in stalled]
        waited = time.monotonic() - started
        health = requests.get(f"{server.base_url}/healthz", timeout=10)
    finally:
        for connection in stalled:
            connection.close()

    assert waited < BODY_READ_TIMEOUT_S * 4
    for answer in answers:
        assert answer == "" or answer.startswith("HTTP/1.1 408"), answer
    assert health.status_code == 200


def _generation_seconds(server: LiveServer) -> float:
    started = time.monotonic()
    response = requests.post(f"{server.base_url}/api/generate", json=HEAVY, timeout=120)
    assert response.status_code == 200, response.text
    return time.monotonic() - started


def test_a_client_that_leaves_stops_its_generation(server: LiveServer) -> None:
    full = _generation_seconds(server)  # the same request, run to the end: the baseline
    log_before = len(server.log())

    connection = _post_raw(server, HEAVY)
    time.sleep(min(1.0, full / 4))
    connection.close()
    left = time.monotonic()
    while "the client went away" not in server.log()[log_before:]:
        assert time.monotonic() - left < full, "the generation ran on after its client left"
        time.sleep(0.05)
    stopped_after = time.monotonic() - left

    assert stopped_after < full * 0.75
    # The worker is free again at once.
    assert requests.get(f"{server.base_url}/healthz", timeout=10).status_code == 200


def test_a_worker_killed_mid_request_gives_a_closed_connection_and_is_replaced(
    server: LiveServer,
) -> None:
    (worker,) = server.worker_pids()
    connection = _post_raw(server, HEAVY)
    time.sleep(0.5)
    os.kill(worker, signal.SIGKILL)

    answer = connection.recv(300)
    connection.close()
    assert answer == b""  # closed, not hung and not half a response

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        replaced = [pid for pid in server.worker_pids() if pid != worker]
        if replaced and server.log().count("worker ready") >= 2:
            break
        time.sleep(0.5)
    else:
        pytest.fail("gunicorn did not replace the killed worker in 120 s")
    assert requests.get(f"{server.base_url}/healthz", timeout=30).json() == {"status": "ok"}


def test_the_server_log_holds_no_traceback_from_any_of_this(server: LiveServer) -> None:
    assert "Traceback" not in Path(server.log_path).read_text(errors="replace")

"""The real thing: gunicorn with the project's gunicorn.conf.py answers curl on /api/generate."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
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
            # Ready means the worker has warmed the model (post_worker_init) and answers.
            if "worker ready" in (tmp_path / "gunicorn.log").read_text():
                break
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            time.sleep(0.5)
        else:
            pytest.fail("gunicorn did not become ready in 120 s")
        assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
        yield base
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

"""The real thing: gunicorn with the project's gunicorn.conf.py answers curl on /api/generate."""

from __future__ import annotations

import json
import shutil
import subprocess
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

"""A database that is down or restarting: the API answers 503 with Retry-After in the one error
shape, and the website a 503 page saying so (the client can only come back later), not a 500;
and the site logs it.

Run in a fresh interpreter: the database is chosen when Django starts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.foundation.test_settings import PRODUCTION_ENV
from tests.fresh_interpreter import run_django_script

DOWN = "postgres://raplyrics@127.0.0.1:1/raplyrics"  # nothing listens on port 1: refused at once

_ASK = r"""
import json
from django.test import Client
client = Client(raise_request_exception=False)
response = {request}
print(json.dumps({{
    "status": response.status_code,
    "retry_after": response.get("Retry-After"),
    "text": response.content.decode(),
}}))
"""


def ask_while_the_database_is_down(
    tmp_path: Path, request: str, **env: str
) -> tuple[dict[str, Any], str]:
    """The answer to `request` (Python, with `client`) and the site's log (stderr)."""
    environment = {**os.environ, **env, "DATABASE_URL": DOWN, "RAPLYRICS_DATA_DIR": str(tmp_path)}
    answer, stderr = run_django_script(_ASK.format(request=request), env=environment)
    return answer, stderr


def test_the_api_answers_503_while_the_database_cannot_be_reached(tmp_path: Path) -> None:
    body = json.dumps({"prefix": "Out the window", "lines": 1})
    request = f'client.post("/api/generate", {body!r}, content_type="application/json")'

    answer, log = ask_while_the_database_is_down(tmp_path, request)

    assert answer["status"] == 503
    assert answer["retry_after"] == "10"
    assert json.loads(answer["text"]) == {
        "error": "The database cannot be reached right now; try again in a moment.",
        "retry_after": 10,
    }
    assert "database unavailable for /api/generate" in log


def test_a_page_answers_503_saying_so_while_the_database_cannot_be_reached(
    tmp_path: Path,
) -> None:
    # Production settings: with DEBUG on, Django shows its debug page instead.
    request = 'client.get("/", secure=True, HTTP_HOST="lyrics.example.org")'
    answer, _ = ask_while_the_database_is_down(tmp_path, request, **PRODUCTION_ENV)

    assert answer["status"] == 503
    assert answer["retry_after"] == "10"
    assert "RapLyrics cannot reach its database right now" in answer["text"]


def test_a_database_whose_migrations_were_not_run_is_a_500_not_an_outage(tmp_path: Path) -> None:
    # SQLite says "no such table" with the OperationalError it also uses for a locked or
    # missing file: the site's own fault, which a client cannot wait out.
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"} | {
        "RAPLYRICS_DATA_DIR": str(tmp_path)
    }
    body = json.dumps({"prefix": "Out the window", "lines": 1})
    request = f'client.post("/api/generate", {body!r}, content_type="application/json")'

    answer, log = run_django_script(_ASK.format(request=request), env=environment)

    assert answer["status"] == 500
    assert answer["retry_after"] is None
    assert json.loads(answer["text"]) == {
        "error": "Internal error; it has been logged. Try again or report it."
    }
    assert "no such table" in log

"""A database that is down or restarting: the API answers 503 with Retry-After in the one error
shape (the client can only come back later), not a 500; and the site logs it.

Run in a fresh interpreter: the database is chosen when Django starts.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.fresh_interpreter import run_django_script

_SCRIPT = r"""
import json
from django.test import Client
client = Client(raise_request_exception=False)
body = {"prefix": "Out the window", "lines": 1}
response = client.post("/api/generate", json.dumps(body), content_type="application/json")
print(json.dumps({
    "status": response.status_code,
    "retry_after": response.get("Retry-After"),
    "body": response.json(),
}))
"""


def test_the_api_answers_503_while_the_database_cannot_be_reached(tmp_path: Path) -> None:
    env = {
        **os.environ,
        # Nothing listens on port 1: every connection is refused at once.
        "DATABASE_URL": "postgres://raplyrics@127.0.0.1:1/raplyrics",
        "RAPLYRICS_DATA_DIR": str(tmp_path),
    }
    answer, stderr = run_django_script(_SCRIPT, env=env)

    assert answer["status"] == 503
    assert answer["retry_after"] == "10"
    assert answer["body"] == {
        "error": "The database cannot be reached right now; try again in a moment.",
        "retry_after": 10,
    }
    assert "database unavailable for /api/generate" in stderr

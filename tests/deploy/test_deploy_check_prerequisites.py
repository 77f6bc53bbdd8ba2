"""`make deploy-check` without what it needs: one line naming it, and a failing exit status."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.stack import APACHE_BINARY_CANDIDATES

REPO = Path(__file__).resolve().parents[2]


# apache2 and openssl are looked for first: without them, they are what the line names.
@pytest.mark.skipif(
    not any(os.access(path, os.X_OK) for path in APACHE_BINARY_CANDIDATES)
    or shutil.which("openssl") is None,
    reason="needs apache2 and openssl",
)
def test_it_fails_naming_an_unreachable_postgresql() -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    unreachable = "postgres://postgres:hunter2@127.0.0.1:9/postgres"
    result = subprocess.run(
        [sys.executable, "-m", "deploy.check"],
        cwd=REPO,
        env={**os.environ, "DEPLOY_CHECK_POSTGRES_URL": unreachable},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "deploy check: cannot run: PostgreSQL is not reachable at "
        "postgres://postgres:***@127.0.0.1:9/postgres ("
    )
    assert "hunter2" not in result.stderr

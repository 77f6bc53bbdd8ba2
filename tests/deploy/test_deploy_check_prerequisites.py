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
# What `make deploy-check` runs.
DEPLOY_CHECK = [sys.executable, "-m", "pytest", "tests/deploy/test_production_stack.py"]


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
        [*DEPLOY_CHECK, "-p", "no:cacheprovider", "-q", "-x"],
        cwd=REPO,
        env={**os.environ, "DEPLOY_CHECK_POSTGRES_URL": unreachable, "DEPLOY_CHECK_REQUIRED": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    reasons = [line for line in output.splitlines() if "deploy check: cannot run:" in line]
    # The reason, in one line (pytest's report quotes it once per place it lists the error).
    assert reasons, output
    assert (
        reasons[0]
        .split("deploy check: cannot run: ", 1)[1]
        .startswith("PostgreSQL is not reachable at postgres://postgres:***@127.0.0.1:9/postgres (")
    )
    assert "hunter2" not in output

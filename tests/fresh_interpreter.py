"""Running Django in a fresh Python interpreter, for what is chosen when Django or Celery starts
(the database, the broker, the settings): `manage.py` itself, or a script whose last line of
output is JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def run_manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`manage.py ARGS` as an operator runs it (this environment, or `env`), output captured."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_django_script(script: str, *, env: dict[str, str]) -> tuple[Any, str]:
    """(the JSON the script printed last, its stderr); the script must exit 0."""
    result = subprocess.run(
        [sys.executable, "-c", "import django\ndjango.setup()\n" + script],
        cwd=REPO,
        env={**env, "DJANGO_SETTINGS_MODULE": "raplyrics.settings"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr

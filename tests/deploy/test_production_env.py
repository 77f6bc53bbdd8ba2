"""The example env file of deploy/ is the production environment docs/deploy.md installs."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = REPO / "deploy" / "raplyrics.env.example"
# What docs/deploy.md tells the operator to fill in, and how.
FILLED_BY_THE_OPERATOR = {"DJANGO_SECRET_KEY": lambda: secrets.token_urlsafe(50)}


def _read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def _filled_example(tmp_path: Path) -> Path:
    lines = []
    for line in EXAMPLE_ENV.read_text().splitlines():
        key, _, value = line.partition("=")
        if key in FILLED_BY_THE_OPERATOR and value == "":
            line = f"{key}={FILLED_BY_THE_OPERATOR[key]()}"
        if key == "RAPLYRICS_DATA_DIR":  # the example's /var/lib/raplyrics: the checks write there
            line = f"{key}={tmp_path / 'var-lib-raplyrics'}"
        lines.append(line)
    filled = tmp_path / "raplyrics.env"
    filled.write_text("\n".join(lines) + "\n")
    return filled


def _without_site_env() -> dict[str, str]:
    prefixes = ("DJANGO_", "DATABASE_", "CELERY_", "RAPLYRICS_", "ARTIFACTS_", "GUNICORN_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def test_the_only_blanks_in_the_example_are_the_ones_the_docs_fill_in() -> None:
    blanks = {key for key, value in _read_env_file(EXAMPLE_ENV).items() if value == ""}
    assert blanks == set(FILLED_BY_THE_OPERATOR)


def test_every_value_is_a_plain_word_that_systemd_and_the_shell_read_alike() -> None:
    for key, value in _read_env_file(EXAMPLE_ENV).items():
        assert key.isupper() and key.replace("_", "").isalnum(), key
        assert not any(c in value for c in " \t\"'$`\\*?;&|()<>"), f"{key}={value}"


def test_production_refuses_to_boot_from_the_example_left_unfilled() -> None:
    env = {**_without_site_env(), **_read_env_file(EXAMPLE_ENV)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY")


def test_check_deploy_reports_nothing_with_the_filled_in_example(tmp_path: Path) -> None:
    env = {**_without_site_env(), **_read_env_file(_filled_example(tmp_path))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.skipif(not Path("/usr/sbin/runuser").exists(), reason="needs util-linux's runuser")
def test_manage_sh_runs_manage_py_with_nothing_but_the_env_file(tmp_path: Path) -> None:
    # A caller's variable the file does not set must not reach the command: with HSTS off,
    # check --deploy would warn.
    env = {
        **os.environ,
        "DJANGO_HSTS_SECONDS": "0",
        "RAPLYRICS_ENV_FILE": str(_filled_example(tmp_path)),
        "RAPLYRICS_USER": subprocess.run(
            ["id", "-un"], capture_output=True, text=True, check=True
        ).stdout.strip(),
    }
    result = subprocess.run(
        [str(REPO / "deploy" / "manage.sh"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_manage_sh_names_an_env_file_it_cannot_read(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(REPO / "deploy" / "manage.sh"), "migrate"],
        env={**os.environ, "RAPLYRICS_ENV_FILE": str(tmp_path / "missing.env")},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"manage.sh: cannot read {tmp_path / 'missing.env'} (run it as root; see docs/deploy.md)"
    )

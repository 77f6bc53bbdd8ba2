"""deploy/systemd/: the gunicorn and Celery services."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))
ENV_FILE = "/etc/raplyrics/raplyrics.env"


def _service_section(unit: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit.read_text())
    return dict(parser["Service"])


def test_there_is_a_unit_for_the_web_and_one_for_the_worker() -> None:
    assert [unit.name for unit in UNITS] == [
        "raplyrics-celery.service",
        "raplyrics-gunicorn.service",
    ]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_each_service_restarts_on_failure_as_a_non_root_user_with_the_env_file(unit: Path) -> None:
    service = _service_section(unit)
    assert service["User"] == service["Group"] == "raplyrics"
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == ENV_FILE
    assert service["WorkingDirectory"] == "/srv/raplyrics/app"


def test_the_example_env_file_names_the_path_the_units_read() -> None:
    header = (REPO / "deploy" / "raplyrics.env.example").read_text().splitlines()[0]
    assert ENV_FILE in header


def test_gunicorn_reloads_gracefully_with_the_repositorys_config() -> None:
    service = _service_section(REPO / "deploy" / "systemd" / "raplyrics-gunicorn.service")
    assert "-c gunicorn.conf.py" in service["ExecStart"]
    assert (REPO / "gunicorn.conf.py").exists()
    assert service["ExecReload"] == "/bin/kill -s HUP $MAINPID"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_units_parse_without_a_warning(tmp_path: Path) -> None:
    # Pointed at this checkout's venv, where the programs they start really are.
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(
            unit.read_text().replace("/srv/raplyrics/app/.venv/bin/", f"{REPO}/.venv/bin/")
        )
        copies.append(str(copy))
    result = subprocess.run(
        ["systemd-analyze", "verify", *copies], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stderr) == (0, "")

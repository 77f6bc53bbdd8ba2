from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from raplyrics.env import database_from_url, env_bool, env_float, env_int, redact_url
from tests.fresh_interpreter import run_manage

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x9$kL2!qZ7@vN4#pR8^tW1&yB6*mC3(dF5)gH0_jK-lM+nP=oQ",
    "DJANGO_ALLOWED_HOSTS": "lyrics.example.org",
    "DATABASE_URL": "postgres://raplyrics:secret@127.0.0.1:5432/raplyrics",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return run_manage(*args, env={**clean, **env})


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("DJANGO_SECRET_KEY", "DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY"),
        ("DJANGO_ALLOWED_HOSTS", "DJANGO_DEBUG=0 needs DJANGO_ALLOWED_HOSTS"),
        ("DATABASE_URL", "DJANGO_DEBUG=0 needs DATABASE_URL=postgres://"),
    ],
)
def test_production_refuses_to_boot_without_a_required_value(missing: str, reason: str) -> None:
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = _manage("check", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith(f"error: {reason}")
    assert "Traceback" not in result.stderr


def test_production_refuses_sqlite() -> None:
    result = _manage("check", env={**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///tmp/x.sqlite3"})
    assert result.returncode == 2
    assert "needs DATABASE_URL=postgres://" in result.stderr


def test_the_deploy_check_is_silent_with_production_values() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "folder"),
    [
        ({}, "data"),  # SQLite's folder, the embedded default
        (PRODUCTION_ENV, "data/cache"),  # PostgreSQL, and the file cache without Redis
    ],
    ids=["sqlite", "file-cache"],
)
def test_a_data_folder_that_cannot_be_created_is_named_in_one_line(
    tmp_path: Path, env: dict[str, str], folder: str
) -> None:
    in_a_file = tmp_path / "a-file"
    in_a_file.write_text("not a folder")

    result = _manage("check", env={**env, "RAPLYRICS_DATA_DIR": str(in_a_file / "data")})

    assert result.returncode == 2
    assert result.stderr == (
        f"error: RAPLYRICS_DATA_DIR={in_a_file / folder} cannot be created: Not a directory\n"
    )


def test_the_deploy_check_names_a_folder_the_site_cannot_write(tmp_path: Path) -> None:
    in_a_file = tmp_path / "a-file"
    in_a_file.write_text("not a folder")
    env = {**PRODUCTION_ENV, "ARTIFACTS_DIR": str(in_a_file / "artifacts")}

    result = _manage("check", "--deploy", env=env)

    assert result.returncode == 1
    assert (
        f"(raplyrics.E001) ARTIFACTS_DIR: {in_a_file / 'artifacts'} cannot be written "
        "(Not a directory)"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_boolean_is_named_in_one_line() -> None:
    result = _manage("check", env={"DJANGO_DEBUG": "maybe"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: DJANGO_DEBUG='maybe' is not a boolean; use 1/0, true/false, yes/no or on/off"
    )


def test_env_bool_and_int_read_typed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "Yes")
    monkeypatch.setenv("COUNT", "12")
    assert env_bool("FLAG", False) is True
    assert env_bool("UNSET_FLAG", True) is True
    assert env_int("COUNT", 0, minimum=1) == 12
    monkeypatch.setenv("COUNT", "0")
    with pytest.raises(ImproperlyConfigured, match="COUNT=0 is below the minimum of 1"):
        env_int("COUNT", 5, minimum=1)
    monkeypatch.setenv("COUNT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="is not an integer"):
        env_int("COUNT", 5)


def test_env_float_reads_a_number_and_names_a_bad_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECONDS", " 0.25 ")
    assert env_float("SECONDS", 1.5, minimum=0.0) == 0.25
    monkeypatch.setenv("SECONDS", "")
    assert env_float("SECONDS", 1.5) == 1.5
    monkeypatch.setenv("SECONDS", "-1")
    with pytest.raises(ImproperlyConfigured, match=r"SECONDS=-1\.0 is below the minimum of 0\.0"):
        env_float("SECONDS", 1.5, minimum=0.0)
    monkeypatch.setenv("SECONDS", "soon")
    with pytest.raises(ImproperlyConfigured, match="SECONDS='soon' is not a number"):
        env_float("SECONDS", 1.5)


def test_a_worker_s_stream_limit_holds_the_largest_request() -> None:
    from django.conf import settings

    from generator import limits

    # One request's candidates are one job: a limit below them would answer 503 for ever.
    assert settings.ENGINE_MAX_STREAMS_MINIMUM == limits.CANDIDATES_MAX


def test_database_urls_become_django_database_settings() -> None:
    postgres = database_from_url("postgres://ann:p%40ss@db.internal:6543/lyrics?sslmode=require")
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["USER"], postgres["PASSWORD"], postgres["HOST"], postgres["PORT"]) == (
        "ann",
        "p@ss",
        "db.internal",
        "6543",
    )
    assert (postgres["NAME"], postgres["OPTIONS"]) == ("lyrics", {"sslmode": "require"})
    assert database_from_url("sqlite:///tmp/throwaway.sqlite3")["NAME"] == "/tmp/throwaway.sqlite3"
    assert database_from_url("sqlite:////tmp/throwaway.sqlite3")["NAME"] == "/tmp/throwaway.sqlite3"
    with pytest.raises(ImproperlyConfigured, match="scheme 'mysql' is not supported"):
        database_from_url("mysql://root@localhost/x")


def test_passwords_are_redacted_in_messages() -> None:
    assert redact_url("postgres://ann:hunter2@h/db") == "postgres://ann:***@h/db"


def test_the_embedded_default_creates_its_data_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "not" / "there" / "yet"
    result = _manage("migrate", "-v", "0", env={"RAPLYRICS_DATA_DIR": str(data_dir)})
    assert result.returncode == 0, result.stderr
    assert (data_dir / "db.sqlite3").is_file()

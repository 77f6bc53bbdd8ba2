"""Defaults that cannot leak: no credential in an error report, the candidates' audit trail for
staff only, a Content-Security-Policy from Django itself, and a health check that says ready only
when a request could be served end to end."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client, RequestFactory
from django.views.debug import technical_500_response

from generator import serving
from generator.model_versions import ModelFiles, register_model_version
from generator.models import ModelVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_model_cache() -> Any:
    serving.clear_cache()
    yield
    serving.clear_cache()


@pytest.fixture
def malformed_config_model(tmp_path: Path, settings: Any) -> ModelVersion:
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    settings.DATA_DIR = tmp_path
    (tmp_path / "w.hdf5").write_bytes(b"weights")
    (tmp_path / "v.json").write_text('{"a": 1}')
    (tmp_path / "c.json").write_text('{"rnn_layers": 2, "rnn_size": ')
    files = ModelFiles(
        weights=tmp_path / "w.hdf5", vocab=tmp_path / "v.json", config=tmp_path / "c.json"
    )
    return register_model_version(name="broken-config", files=files, activate=True)


def _error_page(request: Any) -> str:
    connection_string = request.META["DATABASE_URL"]  # a local the page lists with the frame
    try:
        raise RuntimeError(f"cannot reach {len(connection_string)} characters of URL")
    except RuntimeError:
        return technical_500_response(request, *sys.exc_info()).content.decode()


def test_the_debug_error_page_masks_passwords_inside_url_settings(settings: Any) -> None:
    # Made up at run time: the page also shows this file's source around the raise.
    database, broker, cache_, environ = (uuid4().hex for _ in range(4))
    settings.DATABASE_URL = f"postgres://raplyrics:{database}@db.internal:5432/raplyrics"
    settings.CELERY_BROKER_URL = f"redis://:{broker}@redis.internal:6379/0"
    settings.REDIS_CACHE_URL = f"rediss://cache:{cache_}@redis.internal:6380/1"

    page = _error_page(
        RequestFactory().get("/", DATABASE_URL=f"postgres://raplyrics:{environ}@db/raplyrics")
    )

    for secret in (database, broker, cache_, environ):
        assert secret not in page
    assert "postgres://raplyrics:********@db.internal:5432/raplyrics" in page


def test_debug_is_the_local_default_and_make_run_says_it_is_a_development_server() -> None:
    environment = {"PATH": "/usr/bin:/bin"}
    debug = subprocess.run(
        [sys.executable, "-c", "from raplyrics import settings; print(settings.DEBUG)"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert debug.stdout.strip() == "True"
    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert "development server" in dry_run.stdout
    assert "Not for production" in dry_run.stdout


def test_the_candidates_audit_trail_is_refused_to_the_public(
    client: Client, unloadable_model: ModelVersion
) -> None:
    response = client.post(
        "/api/generate", {"lines": 1, "debug": True}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json() == {"error": "debug=true is for signed-in staff only"}


def test_staff_get_past_the_debug_gate(unloadable_model: ModelVersion) -> None:
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    response = client.post(
        "/api/generate", {"lines": 1, "debug": True}, content_type="application/json"
    )
    assert response.status_code == 503  # the gate let it through to the (unloadable) model


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/models", "/api/nothing", "/healthz"])
def test_django_sends_the_content_security_policy_on_every_response(
    client: Client, unloadable_model: ModelVersion, path: str
) -> None:
    response = client.get(path)
    assert response["Content-Security-Policy"] == django_settings.CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_django_and_apache_send_the_same_policy() -> None:
    template = (REPO / "deploy/apache/raplyrics-https.conf.tmpl").read_text()
    apache = re.search(r'Header always set Content-Security-Policy "([^"]+)"', template)
    assert apache is not None
    assert apache.group(1) == django_settings.CONTENT_SECURITY_POLICY


def test_a_malformed_model_config_is_a_503_not_a_500(
    client: Client, malformed_config_model: ModelVersion
) -> None:
    response = client.post("/api/generate", {"lines": 1}, content_type="application/json")
    assert response.status_code == 503
    assert "not valid JSON" in response.json()["error"]


def test_the_health_check_is_not_ready_when_the_model_cannot_load(
    client: Client, malformed_config_model: ModelVersion
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "not valid JSON" in response.json()["problems"]["model"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgres" not in str(django_settings.DATABASES["default"]["ENGINE"]),
    reason="a read-only database is simulated with PostgreSQL's default_transaction_read_only",
)
def test_the_health_check_is_not_ready_when_the_database_is_read_only(
    client: Client, unloadable_model: ModelVersion
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    try:
        response = client.get("/healthz")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = off")
    assert response.status_code == 503
    assert "read-only" in response.json()["problems"]["database"]

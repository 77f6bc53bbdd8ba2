"""/api/schema/ (and the docs drawn from it) documents every answer of every /api operation: the
one error shape for each error a view can give, real examples, and a sign-in requirement only
where the endpoint is not open. These tests walk the whole generated schema, so an endpoint added
later is held to the same rules without being named here."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve
from rest_framework import permissions

from generator.api.schema import ERROR_ANSWERS, ERROR_COMPONENT

pytestmark = pytest.mark.django_db

ERROR_REF = f"#/components/schemas/{ERROR_COMPONENT}"
# The operations that write lyrics: they answer 503 when the server is too busy.
GENERATING = {"generate", "generate_stream", "legacy_generate"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return dict(json.loads(response.content))


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        if path.startswith("/api")
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(found) >= 4, "the generation API has at least four operations"
    return found


def _view(path: str) -> Any:
    """The view behind a schema path ({id}-style parameters filled in)."""
    view_class = resolve(re.sub(r"{[^}]+}", "1", path)).func.view_class  # type: ignore[attr-defined]
    return view_class()


def _is_open(view: Any) -> bool:
    return all(issubclass(p, permissions.AllowAny) for p in view.permission_classes)


def _expected_errors(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    view = _view(path)
    expected = set()
    if "requestBody" in operation:
        expected |= {"400", "413"}  # invalid input; a body over the limit
    if view.throttle_classes:
        expected.add("429")
    if not _is_open(view):
        expected.add("403")
    if "{" in path:
        expected.add("404")
    if operation["operationId"] in GENERATING:
        expected.add("503")
    return expected


def test_every_operation_documents_the_errors_it_can_answer(schema: dict[str, Any]) -> None:
    missing = {
        f"{method.upper()} {path}": sorted(expected - set(operation["responses"]))
        for path, method, operation in _operations(schema)
        if (expected := _expected_errors(path, method, operation)) - set(operation["responses"])
    }
    assert missing == {}


def test_every_error_answer_has_the_one_error_shape_and_a_real_example(
    schema: dict[str, Any],
) -> None:
    wrong = []
    for path, method, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if int(code) < 400:
                continue
            content = response.get("content", {})
            body = content.get("application/json", {})
            examples = [example["value"] for example in body.get("examples", {}).values()]
            if list(content) != ["application/json"] or body["schema"].get("$ref") != ERROR_REF:
                wrong.append(f"{method.upper()} {path} {code}: not the error shape")
            elif not examples or not all(isinstance(e.get("error"), str) for e in examples):
                wrong.append(f"{method.upper()} {path} {code}: no example with an error line")
            if code in ("429", "503") and "Retry-After" not in response.get("headers", {}):
                wrong.append(f"{method.upper()} {path} {code}: Retry-After not documented")
    assert wrong == []


def test_every_body_in_and_out_has_an_example(schema: dict[str, Any]) -> None:
    """Swagger UI invents `additionalProp1` for free-form objects where no example is given."""
    bare = []
    for path, method, operation in _operations(schema):
        bodies = {"request": operation.get("requestBody", {}).get("content", {})}
        bodies |= {code: r.get("content", {}) for code, r in operation["responses"].items()}
        for where, content in bodies.items():
            for media_type, body in content.items():
                if media_type in FORM_TYPES:
                    continue  # the docs draw these as fields to fill in, not as a body
                if not body.get("examples") and "example" not in body:
                    bare.append(f"{method.upper()} {path} {where} {media_type}")
    assert bare == []
    assert "additionalProp1" not in json.dumps(schema)


def test_open_endpoints_ask_for_no_sign_in(schema: dict[str, Any]) -> None:
    operations = _operations(schema)
    wrongly_locked = [
        f"{method.upper()} {path}"
        for path, method, operation in operations
        if _is_open(_view(path)) and any(operation.get("security") or [])
    ]
    unlocked = [
        f"{method.upper()} {path}"
        for path, method, operation in operations
        if not _is_open(_view(path)) and not any(operation.get("security") or [])
    ]
    assert wrongly_locked == [] and unlocked == []
    if all(_is_open(_view(path)) for path, _, _ in operations):
        # No scheme at all: the docs then show no "Authorize" button.
        assert "securitySchemes" not in schema.get("components", {})


def test_the_error_shape_is_described_once(schema: dict[str, Any]) -> None:
    error = schema["components"]["schemas"][ERROR_COMPONENT]
    assert error["required"] == ["error"]
    assert set(error["properties"]) == {"error", "fields", "retry_after"}


def test_the_documented_400_is_what_the_api_answers(client: Client) -> None:
    response = client.post("/api/generate", {"lines": 99}, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == ERROR_ANSWERS[400][1]


def test_the_documented_413_is_what_the_api_answers(client: Client, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 65536
    response = client.post(
        "/api/generate", "x" * 70000, content_type="application/json", CONTENT_LENGTH="70000"
    )

    assert response.status_code == 413
    assert response.json() == ERROR_ANSWERS[413][1]

"""No input makes a 500, and every error under /api is the one JSON shape: deep nesting, broken
encodings, oversized bodies, floods of form fields, foreign Hosts, and a fuzzed schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from generator.models import ModelVersion

pytestmark = pytest.mark.django_db

GENERATE = "/api/generate"
LEGACY = "/apiUS"
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture(autouse=True)
def _no_quota_and_no_model(db: None, settings: Any) -> None:
    """Many requests, none throttled; a served model that cannot load answers valid ones fast."""
    settings.RAPLYRICS_GENERATE_RATE = "100000/min"
    ModelVersion.objects.create(
        name="files-gone",
        weights_key="missing/w.hdf5",
        vocab_key="missing/v.json",
        config_key="missing/c.json",
        weights_sha256="0" * 64,
        is_active=True,
    )


def _in_shape(response: Any) -> dict[str, Any]:
    assert response.status_code < 500 or response.status_code == 503, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = json.loads(response.content)
    assert isinstance(body["error"], str) and body["error"]
    return body


def _post_raw(client: Client, path: str, body: bytes, content_type: str, **extra: Any) -> Any:
    return client.generic("POST", path, body, content_type=content_type, **extra)


@pytest.mark.parametrize("path", [GENERATE, LEGACY])
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (DEEP.encode(), "nested more than 32 levels"),
        (('{"prefix": ' + DEEP + "}").encode(), "nested more than 32 levels"),
        (b'{"\\ud800": 1}', "lone surrogate"),
        (b'{"prefix": "\\udfff tail"}', "lone surrogate"),
        (b'{"prefix": "\xff\xfe"}', "can't decode byte 0xff"),
        (b'{"prefix": NaN}', "JSON parse error"),
        (b'{"prefix": "unterminated', "JSON parse error"),
    ],
)
def test_bad_json_is_a_400_in_the_one_shape(
    client: Client, path: str, body: bytes, expected: str
) -> None:
    response = _post_raw(client, path, body, "application/json")
    assert response.status_code == 400
    assert expected in _in_shape(response)["error"]


def test_a_field_name_that_is_no_text_is_echoed_escaped_not_crashed_on(client: Client) -> None:
    response = _post_raw(client, GENERATE, b'{"ok": 1, "x\\ud800": 2}', "application/json")
    assert response.status_code == 400
    assert "lone surrogate" in _in_shape(response)["error"]


@pytest.mark.parametrize("path", [GENERATE, LEGACY])
def test_a_10_mb_body_is_refused_before_it_is_read(client: Client, path: str) -> None:
    response = _post_raw(client, path, b"a" * 10_000_000, "application/json")
    assert response.status_code == 413
    assert "the limit is 65536" in _in_shape(response)["error"]


def test_five_thousand_form_fields_are_a_400(client: Client) -> None:
    body = "&".join(f"f{n}=1" for n in range(5000)).encode()
    response = _post_raw(client, LEGACY, body, "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "too many fields" in _in_shape(response)["error"]


def test_five_thousand_multipart_fields_are_a_400(client: Client, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 10_000_000  # reach the field count, not the size limit
    response = client.post(LEGACY, {f"f{n}": "1" for n in range(5000)})
    assert response.status_code == 400
    assert "too many fields" in _in_shape(response)["error"]


@pytest.mark.parametrize(
    ("method", "path"), [("POST", GENERATE), ("POST", LEGACY), ("GET", "/api/models")]
)
def test_a_host_this_site_does_not_serve_is_a_400(client: Client, method: str, path: str) -> None:
    response = client.generic(
        method, path, b"{}", content_type="application/json", HTTP_HOST="x.evil"
    )
    assert response.status_code == 400
    assert "Host" in _in_shape(response)["error"]


@pytest.mark.parametrize(
    ("request_args", "status"),
    [
        ({"method": "GET", "path": "/api/nothing-here"}, 404),
        ({"method": "GET", "path": GENERATE}, 405),
        ({"method": "PUT", "path": LEGACY}, 405),
        ({"method": "POST", "path": GENERATE, "content_type": "text/plain"}, 415),
        ({"method": "POST", "path": LEGACY, "content_type": "multipart/form-data; boundary="}, 400),
        ({"method": "POST", "path": GENERATE, "CONTENT_LENGTH": "lots"}, 400),
    ],
)
def test_protocol_errors_are_in_the_one_shape(
    client: Client, request_args: dict[str, Any], status: int
) -> None:
    args = {"content_type": "application/json", **request_args}
    response = client.generic(data=b'{"prefix": "x"}', **args)
    assert response.status_code == status
    _in_shape(response)


@pytest.mark.parametrize(
    "payload",
    [
        {"lines": 10**400},
        {"temperature": 1e400},
        {"temperature": [0.5] * 10_000},
        {"seed": -1},
        {"seed": 1.5},
        {"model": 10**30},
        {"prefix": ["a", "list"]},
        {"prefix": {"an": "object"}},
        {"debug": "yes"},
        {"candidates": None},
        [1, 2, 3],
        "just a string",
    ],
)
def test_values_of_the_wrong_kind_or_size_are_a_400(client: Client, payload: Any) -> None:
    response = client.post(GENERATE, json.dumps(payload), content_type="application/json")
    assert response.status_code == 400
    _in_shape(response)


# --- the fuzzed schema ---------------------------------------------------------------------------

FIELDS = [
    "prefix",
    "lines",
    "temperature",
    "top_k",
    "top_p",
    "candidates",
    "seed",
    "model",
    "debug",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
generate_bodies = (
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), json_values, max_size=6)
    | json_values
)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=generate_bodies)
def test_no_json_body_makes_a_500_on_generate(client: Client, body: Any) -> None:
    response = client.post(GENERATE, json.dumps(body), content_type="application/json")
    if response.status_code >= 400:
        _in_shape(response)


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=zz",
        ]
    ),
)
def test_no_bytes_make_a_500_on_either_route(client: Client, raw: bytes, content_type: str) -> None:
    for path in (GENERATE, LEGACY):
        response = _post_raw(client, path, raw, content_type)
        if response.status_code >= 400:
            _in_shape(response)


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    form=st.dictionaries(
        st.sampled_from(["input"]) | st.text(max_size=10), st.text(max_size=600), max_size=5
    )
)
def test_no_form_makes_a_500_on_the_legacy_route(client: Client, form: dict[str, str]) -> None:
    response = client.post(LEGACY, form)
    if response.status_code >= 400:
        _in_shape(response)


@pytest.mark.parametrize("path", ["/", "/healthz", "/admin/login/", "/api/models", "/api/docs/"])
@pytest.mark.parametrize(
    "query", ["?q=%ED%A0%80", "?" + "&".join(f"f{n}=1" for n in range(5000)), "?next=%00"]
)
def test_odd_query_strings_make_no_500_anywhere(client: Client, path: str, query: str) -> None:
    # 503 is /healthz saying, correctly, that this test's model cannot load; 500 is a crash.
    assert client.get(path + query).status_code != 500

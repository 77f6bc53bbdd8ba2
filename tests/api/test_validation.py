"""Every field of POST /api/generate is validated, with one error shape and a message to act on."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _post(client: Client, body: Any) -> Any:
    return client.post("/api/generate", body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"prefix": "x" * 501}, "prefix", "prefix: is too long; the limit is 500 characters"),
        ({"prefix": 12}, "prefix", "prefix: must be a string"),
        ({"lines": 0}, "lines", "lines: Ensure this value is greater than or equal to 1."),
        ({"lines": 17}, "lines", "lines: Ensure this value is less than or equal to 16."),
        ({"lines": "5"}, "lines", "lines: must be a whole number, not str"),
        ({"lines": 2.5}, "lines", "lines: must be a whole number, not float"),
        ({"lines": True}, "lines", "lines: must be a whole number, not bool"),
        (
            {"temperature": 3},
            "temperature",
            "temperature: each temperature must be between 0.1 and 2.0; got 3",
        ),
        (
            {"temperature": []},
            "temperature",
            "temperature: give a number or a list of 1 to 8 numbers",
        ),
        (
            {"temperature": ["hot"]},
            "temperature",
            "temperature: give a number or a list of 1 to 8 numbers",
        ),
        (
            {"temperature": [0.5] * 9},
            "temperature",
            "temperature: give a number or a list of 1 to 8 numbers",
        ),
        ({"top_k": -1}, "top_k", "top_k: Ensure this value is greater than or equal to 0."),
        ({"top_p": 0}, "top_p", "top_p: Ensure this value is greater than or equal to 0.01."),
        ({"top_p": 1.5}, "top_p", "top_p: Ensure this value is less than or equal to 1.0."),
        ({"top_p": "high"}, "top_p", "top_p: must be a number, not str"),
        (
            {"candidates": 17},
            "candidates",
            "candidates: Ensure this value is less than or equal to 16.",
        ),
        ({"seed": -1}, "seed", "seed: Ensure this value is greater than or equal to 0."),
        (
            {"seed": 2**31},
            "seed",
            "seed: Ensure this value is less than or equal to 2147483647.",
        ),
        ({"model": 0}, "model", "model: Ensure this value is greater than or equal to 1."),
        ({"debug": "yes"}, "debug", "debug: must be true or false"),
        (
            {"length": 5},
            "length",
            "length: is not a known field; known fields: prefix, lines, temperature, top_k, "
            "top_p, candidates, rhyme_scheme, seed, model, debug, syllables",
        ),
        (
            {"rhyme_scheme": "ABBA"},
            "rhyme_scheme",
            "rhyme_scheme: ABBA is not a rhyme scheme; choose one of AABB, ABAB, free",
        ),
        (
            {"rhyme_scheme": 4},
            "rhyme_scheme",
            "rhyme_scheme: 4 is not a rhyme scheme; choose one of AABB, ABAB, free",
        ),
    ],
)
def test_each_bad_field_is_answered_with_400_naming_it(
    client: Client, body: dict[str, Any], field: str, message: str
) -> None:
    response = _post(client, body)
    assert response.status_code == 400
    assert response.json()["error"] == message
    assert field in response.json()["fields"]


def test_a_body_that_is_not_an_object_is_refused(client: Client) -> None:
    response = _post(client, ["prefix"])
    assert response.status_code == 400
    assert response.json()["error"] == "send a JSON object"


def test_malformed_json_is_refused_in_the_same_shape(client: Client) -> None:
    response = client.post("/api/generate", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("JSON parse error")


def test_a_form_post_to_the_json_endpoint_is_refused(client: Client) -> None:
    response = client.post("/api/generate", {"prefix": "hi"})
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["error"]


def test_get_is_not_allowed(client: Client) -> None:
    response = client.get("/api/generate")
    assert response.status_code == 405
    assert response.json() == {"error": 'Method "GET" not allowed.'}


def test_the_legacy_route_caps_its_input_too(client: Client) -> None:
    response = client.post("/apiUS", {"input": "y" * 501})
    assert response.status_code == 400
    assert response.json()["error"] == "input: is too long; the limit is 500 characters"


def test_an_unknown_model_version_is_a_400(client: Client) -> None:
    response = _post(client, {"model": 999_999, "lines": 1})
    assert response.status_code == 400
    assert response.json()["error"] == "model: there is no model version 999999"

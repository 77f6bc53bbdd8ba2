"""The co-writing API: each move an endpoint, bad input a 4xx in the one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from generator import admission
from generator.models import ModelVersion

pytestmark = pytest.mark.django_db

VERSE = [
    {"text": "We keep it moving through the night", "locked": True, "by_person": True},
    {"text": "The city lights are burning bright"},
    {"text": "Counting every dollar in my hand", "locked": True},
    {"text": "Nobody here can understand"},
]
FEW = {"candidates": 2, "seed": 5}


def _post(client: Client, path: str, **body: Any) -> Any:
    return client.post(path, body, content_type="application/json")


def _assert_error(response: Any, status: int, field: str | None, says: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert says in body["error"]
    if field is not None:
        assert field in body["fields"]


def test_rewriting_keeps_locked_lines_and_offers_takes_with_syllables(
    client: Client, demo_version: ModelVersion
) -> None:
    response = _post(client, "/api/cowrite/rewrite", lines=VERSE, **FEW)

    assert response.status_code == 200, response.content
    body = response.json()
    texts = [line["text"] for line in body["lines"]]
    assert texts[0] == VERSE[0]["text"] and texts[2] == VERSE[2]["text"]
    assert [line["written"] for line in body["lines"]] == [False, True, False, True]
    for line in body["lines"]:
        assert isinstance(line["syllables"], int) and line["syllables"] > 0
    assert body["lines"][1]["takes"][0]["text"] == texts[1]
    assert body["model"] == {"id": demo_version.pk, "name": "demo"}
    assert body["seed"] == 5 and body["lyrics"] == "\n".join(texts)


def test_rewriting_one_line_changes_only_it(client: Client, demo_version: ModelVersion) -> None:
    body = _post(client, "/api/cowrite/line", lines=VERSE, index=3, **FEW).json()

    texts = [line["text"] for line in body["lines"]]
    assert texts[:3] == [line["text"] for line in VERSE[:3]]
    assert body["lines"][3]["written"] and body["lines"][3]["takes"]


def test_continuing_adds_lines_after_a_persons_own(
    client: Client, demo_version: ModelVersion
) -> None:
    mine = [{"text": "I wrote this line myself", "locked": True, "by_person": True}]
    body = _post(
        client, "/api/cowrite/continue", lines=mine, count=2, syllables={"min": 6, "max": 8}, **FEW
    ).json()

    assert [line["written"] for line in body["lines"]] == [False, True, True]
    assert body["lines"][0]["by_person"]
    assert all(6 <= line["syllables"] <= 8 for line in body["lines"][1:])


@pytest.mark.parametrize(
    ("path", "body", "field", "says"),
    [
        ("/api/cowrite/line", {"lines": VERSE, "index": 4}, "index", "4 is out of range"),
        ("/api/cowrite/line", {"lines": VERSE, "index": 0}, "index", "line 1 is locked"),
        ("/api/cowrite/line", {"lines": VERSE, "index": -1}, "index", "greater than or equal"),
        (
            "/api/cowrite/rewrite",
            {"lines": [{"text": "  ", "locked": True}, {"text": ""}]},
            "lines",
            "line 1 is locked but empty",
        ),
        ("/api/cowrite/rewrite", {"lines": []}, "lines", "no lines"),
        ("/api/cowrite/continue", {"lines": VERSE, "count": 13}, "count", "at most 16 lines"),
        (
            "/api/cowrite/rewrite",
            {"lines": VERSE, "syllables": {"min": 9, "max": 4}},
            "syllables",
            "swap them",
        ),
        ("/api/cowrite/rewrite", {"lines": VERSE, "temperature": 2.5}, "temperature", "2.0"),
        ("/api/cowrite/rewrite", {"lines": [{"text": "a\nb"}]}, "lines", "line break"),
        ("/api/cowrite/rewrite", {"lines": VERSE, "mood": "dark"}, "mood", "not a known field"),
        ("/api/cowrite/rewrite", {"lines": VERSE, "model": 999999}, "model", "no model version"),
    ],
)
def test_a_move_that_does_not_fit_is_a_400_in_the_one_error_shape(
    client: Client, path: str, body: dict[str, Any], field: str, says: str
) -> None:
    _assert_error(_post(client, path, **body), 400, field, says)


@override_settings(RAPLYRICS_GENERATE_RATE="1/min")
def test_moves_share_the_generate_quota(client: Client, demo_version: ModelVersion) -> None:
    assert _post(client, "/api/cowrite/line", lines=VERSE, index=1, **FEW).status_code == 200
    response = _post(client, "/api/cowrite/line", lines=VERSE, index=1, **FEW)
    _assert_error(response, 429, None, "Too many requests")
    assert response.json()["retry_after"] > 0


def test_a_move_with_no_free_slot_is_a_503_with_retry_after(
    client: Client, demo_version: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(**_: Any) -> Any:
        raise admission.Overloaded("the server is busy", retry_after_s=7)

    monkeypatch.setattr(admission, "generation_slot", full)
    response = _post(client, "/api/cowrite/continue", lines=VERSE, **FEW)
    _assert_error(response, 503, None, "busy")
    assert response.json()["retry_after"] == 7 and response["Retry-After"] == "7"


def test_generate_answers_each_lines_syllables_and_takes(
    client: Client, demo_version: ModelVersion
) -> None:
    body = _post(client, "/api/generate", prefix="We run", lines=2, **FEW).json()

    assert len(body["syllables"]) == len(body["lines"]) == len(body["takes"])
    for line, takes in zip(body["lines"], body["takes"], strict=True):
        assert takes[0]["text"] == line


def test_every_move_is_in_the_schema_with_its_error_answers(client: Client) -> None:
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in ("/api/cowrite/rewrite", "/api/cowrite/line", "/api/cowrite/continue"):
        answers = schema["paths"][path]["post"]["responses"]
        assert {"200", "400", "429", "503"} <= set(answers), path
    assert {"201", "400"} <= set(schema["paths"]["/api/drafts"]["post"]["responses"])
    assert {"200", "404"} <= set(schema["paths"]["/api/drafts/{key}"]["get"]["responses"])

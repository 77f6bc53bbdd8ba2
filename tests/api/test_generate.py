"""POST /api/generate, the legacy /apiUS route and GET /api/models, against real models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings

from generator.model_versions import activate_model_version
from generator.models import ModelVersion
from generator.serving import PRETRAINED_NAME

pytestmark = pytest.mark.django_db


def _generate(client: Client, **body: Any) -> Any:
    return client.post("/api/generate", body, content_type="application/json")


def test_a_fresh_install_answers_with_the_pretrained_model(client: Client) -> None:
    response = _generate(client, prefix="I came up ", lines=2, candidates=2, seed=7)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["model"] == {"id": None, "name": PRETRAINED_NAME}
    assert body["seed"] == 7
    assert 1 <= len(body["lines"]) <= 2
    assert body["lyrics"] == "\n".join(body["lines"])
    assert body["lines"][0].lower().startswith("i came up")
    assert isinstance(body["elapsed_ms"], int)
    assert "candidates" not in body


def test_the_same_seed_gives_the_same_lyrics(client: Client) -> None:
    first = _generate(client, prefix="Late night", lines=2, candidates=2, seed=123).json()
    again = _generate(client, prefix="Late night", lines=2, candidates=2, seed=123).json()
    other = _generate(client, prefix="Late night", lines=2, candidates=2, seed=124).json()

    assert first["lyrics"] == again["lyrics"]
    assert first["lyrics"] != other["lyrics"]


def test_a_request_without_a_seed_gets_one_it_can_replay(client: Client) -> None:
    first = _generate(client, prefix="Run it", lines=1, candidates=2).json()
    replay = _generate(client, prefix="Run it", lines=1, candidates=2, seed=first["seed"]).json()
    assert replay["lyrics"] == first["lyrics"]


def test_characters_outside_the_vocabulary_are_replaced_and_reported(client: Client) -> None:
    body = _generate(client, prefix="Ḿoney ☃ talks", lines=1, candidates=1, seed=3).json()

    assert body["lines"][0].startswith("Money")
    assert len(body["prefix_notes"]) == 1
    assert "'Ḿ' -> 'M'" in body["prefix_notes"][0]
    assert "'☃' dropped" in body["prefix_notes"][0]


def test_debug_returns_every_candidate_with_its_score(staff_client: Client) -> None:
    body = _generate(staff_client, prefix="Yeah", lines=2, candidates=3, seed=5, debug=True).json()

    assert len(body["candidates"]) == 2
    for line in body["candidates"]:
        assert len(line["candidates"]) >= 3
        chosen = [c for c in line["candidates"] if c["chosen"]]
        if line["text"] is not None:
            assert len(chosen) == 1
            assert chosen[0]["total"] == max(
                c["total"] for c in line["candidates"] if c["total"] is not None
            )


def test_the_rhyme_scheme_decides_which_lines_aim_at_a_rhyme(staff_client: Client) -> None:
    def aimed_lines(scheme: str) -> list[int]:
        body = _generate(
            staff_client, lines=4, candidates=2, seed=9, debug=True, rhyme_scheme=scheme
        ).json()
        return [
            line["index"]
            for line in body["candidates"]
            if any(c["aimed"] for c in line["candidates"])
        ]

    assert set(aimed_lines("AABB")) <= {1, 3}
    assert set(aimed_lines("ABAB")) <= {2, 3}
    assert aimed_lines("free") == []
    default = _generate(staff_client, lines=4, candidates=2, seed=9, debug=True).json()
    aabb = _generate(
        staff_client, lines=4, candidates=2, seed=9, debug=True, rhyme_scheme="AABB"
    ).json()
    assert default["lyrics"] == aabb["lyrics"]


def test_the_legacy_route_keeps_the_original_contract(client: Client) -> None:
    response = client.post("/apiUS", {"input": "Money on my mind"})

    assert response.status_code == 200
    assert set(response.json()) == {"output"}
    assert response.json()["output"].lower().startswith("money on my mind")


@override_settings(RAPLYRICS_GENERATE_RATE="2/min")
def test_too_many_requests_get_429_in_the_same_shape(client: Client) -> None:
    for _ in range(2):
        assert _generate(client, lines=1, candidates=1, seed=1).status_code == 200
    response = _generate(client, lines=1, candidates=1, seed=1)

    assert response.status_code == 429
    body = response.json()
    assert body["error"].startswith("Too many requests; try again in ")
    assert 0 < body["retry_after"] <= 60
    assert response["Retry-After"] == str(body["retry_after"])
    assert client.post("/apiUS", {"input": "x"}).status_code == 429  # one quota for both routes


@override_settings(GENERATION_TIME_LIMIT_S=1)
def test_a_generation_past_the_time_limit_is_a_503_and_the_next_request_works(
    client: Client,
) -> None:
    response = _generate(client, lines=16, candidates=16, seed=1)
    assert response.status_code == 503
    assert response.json()["error"] == (
        "generation took longer than 1 s; ask for fewer lines or candidates"
    )
    with override_settings(GENERATION_TIME_LIMIT_S=60):
        assert _generate(client, lines=1, candidates=1, seed=1).status_code == 200


def test_workers_switch_to_a_newly_activated_version_without_a_restart(
    client: Client, make_version: Callable[..., ModelVersion]
) -> None:
    assert _generate(client, lines=1, candidates=1, seed=1).json()["model"]["id"] is None

    first = make_version("first-version", activate=True)
    assert _generate(client, lines=1, candidates=1, seed=1).json()["model"] == {
        "id": first.pk,
        "name": "first-version",
    }

    second = make_version("second-version", seed=2)
    activate_model_version(version=second)
    assert _generate(client, lines=1, candidates=1, seed=1).json()["model"]["id"] == second.pk


def test_a_request_can_name_a_version_that_is_not_active(
    client: Client, make_version: Callable[..., ModelVersion]
) -> None:
    version = make_version("named-version")
    body = _generate(client, lines=1, candidates=1, seed=1, model=version.pk).json()
    assert body["model"] == {"id": version.pk, "name": "named-version"}


def test_the_model_list_shows_versions_and_which_is_served(
    client: Client, make_version: Callable[..., ModelVersion]
) -> None:
    old = make_version("old-version")
    active = make_version("active-version", activate=True)

    body = client.get("/api/models").json()

    assert body["active"] == active.pk
    names = [(entry["id"], entry["name"], entry["active"]) for entry in body["models"]]
    assert names == [
        (active.pk, "active-version", True),
        (old.pk, "old-version", False),
        (None, PRETRAINED_NAME, False),
    ]


def test_the_openapi_schema_and_docs_are_served_without_a_cdn(client: Client) -> None:
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/generate" in schema.content
    assert b"rhyme_scheme" in schema.content and b"ABAB" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()
    assert "<style" not in docs  # the production CSP refuses inline styles


def test_a_version_whose_files_are_gone_is_a_503_naming_it(
    client: Client, make_version: Callable[..., ModelVersion], settings: Any
) -> None:
    import shutil
    from pathlib import Path

    version = make_version("vanished-version", activate=True)
    shutil.rmtree(Path(settings.ARTIFACTS_DIR) / "models" / str(version.pk))

    response = _generate(client, lines=1, candidates=1, seed=1)

    assert response.status_code == 503
    assert response.json()["error"].startswith(f"model version {version.pk} cannot be fetched: ")


def test_a_damaged_cached_copy_is_refused_then_fetched_again(
    client: Client, make_version: Callable[..., ModelVersion]
) -> None:
    from generator import serving

    version = make_version("cached-version", activate=True)
    assert _generate(client, lines=1, candidates=1, seed=1).status_code == 200
    cached = serving.model_cache_dir(version) / version.weights_key.rsplit("/", 1)[-1]
    cached.write_bytes(b"not the weights")
    serving.clear_cache()

    refused = _generate(client, lines=1, candidates=1, seed=1)
    assert refused.status_code == 503
    assert refused.json()["error"] == (
        f"model version {version.pk}'s weights do not match their recorded checksum"
    )
    assert _generate(client, lines=1, candidates=1, seed=1).status_code == 200

"""Saved drafts: save, fetch, the permalink page and its text, expiry, purge, a retired model."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from generator.drafts import SavedLine, human_signal, purge_expired_drafts, save_draft
from generator.model_versions import deactivate_model_versions
from generator.models import Draft, ModelVersion
from generator.serving import PRETRAINED_NAME
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINES = [
    {"text": "I wrote this line myself", "by_person": True},
    {
        "text": "The model wrote the second",
        "takes": ["The model wrote the second", "Another take it reckoned"],
        "picked": 0,
    },
    {
        "text": "A third line picked over the first take",
        "takes": ["The first take", "A third line picked over the first take"],
        "picked": 1,
    },
]
SHAPE = {"rhyme_scheme": "AABB", "syllables": {"min": 6, "max": 9}, "temperature": 0.8}


def _save(client: Client, **overrides: Any) -> Any:
    body = {"lines": LINES, "seed": 42, **SHAPE, **overrides}
    return client.post("/api/drafts", body, content_type="application/json")


def _version(name: str = "demo-like", *, active: bool = True) -> ModelVersion:
    return ModelVersion.objects.create(name=name, is_active=active, weights_sha256="0" * 64)


def test_a_saved_draft_has_a_permalink_and_an_expiry(client: Client) -> None:
    version = _version()
    response = _save(client, model=version.pk)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == f"/drafts/{body['id']}"
    assert [line["text"] for line in body["lines"]] == [line["text"] for line in LINES]
    assert [line["syllables"] for line in body["lines"]] == [6, 7, 9]
    assert body["settings"]["syllables"] == {"min": 6, "max": 9}
    assert body["model"] == {"id": version.pk, "name": "demo-like"} and body["model_active"]
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (timezone.now() + datetime.timedelta(days=30))) < datetime.timedelta(
        minutes=1
    )
    assert client.get(f"/api/drafts/{body['id']}").json()["lyrics"] == body["lyrics"]


def test_a_signed_in_writers_draft_is_kept(client: Client) -> None:
    client.force_login(UserFactory())
    body = _save(client).json()
    assert body["expires_at"] is None and body["model"]["name"] == PRETRAINED_NAME


def test_a_draft_by_the_pretrained_model_is_served_until_a_version_is_activated(
    client: Client,
) -> None:
    key = _save(client).json()["id"]
    assert client.get(f"/api/drafts/{key}").json()["model_active"] is True
    assert "no longer served" not in client.get(f"/drafts/{key}").content.decode()

    _version("now-served")
    assert client.get(f"/api/drafts/{key}").json()["model_active"] is False
    assert "no longer served" in client.get(f"/drafts/{key}").content.decode()


def test_the_expiry_comes_from_settings(client: Client, settings: Any) -> None:
    settings.DRAFT_EXPIRY_DAYS = 2
    draft = Draft.objects.get(key=_save(client).json()["id"])
    assert draft.expires_at is not None
    assert draft.expires_at - draft.created_at < datetime.timedelta(days=2, minutes=1)


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"lines": []}, "lines", "at least 1"),
        ({"lines": [{"text": ""}]}, "lines", "is empty"),
        ({"lines": [{"text": "x", "takes": ["x"], "picked": 1}]}, "lines", "out of range"),
        ({"lines": [{"text": "x" * 601}]}, "lines", "the limit is 600"),
        ({"model": 999999}, "model", "there is no model version 999999"),
        ({"rhyme_scheme": "ABBA"}, "rhyme_scheme", "is not a rhyme scheme"),
        ({"seed": 2**63}, "seed", "less than or equal to"),
    ],
)
def test_a_draft_that_cannot_be_saved_is_a_400_in_the_one_error_shape(
    client: Client, overrides: dict[str, Any], field: str, says: str
) -> None:
    response = _save(client, **overrides)
    assert response.status_code == 400
    assert says in response.json()["error"] and field in response.json()["fields"]


def test_a_draft_that_does_not_exist_or_expired_is_a_404_in_the_one_error_shape(
    client: Client,
) -> None:
    missing = client.get("/api/drafts/no-such-draft")
    assert missing.status_code == 404 and "no-such-draft" in missing.json()["error"]

    key = _save(client).json()["id"]
    Draft.objects.filter(key=key).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    expired = client.get(f"/api/drafts/{key}")
    assert expired.status_code == 404 and "expired" in expired.json()["error"]
    assert client.get(f"/drafts/{key}").status_code == 404  # the page too: a 404, not a 500
    assert client.get(f"/drafts/{key}.txt").status_code == 404


def test_a_starred_draft_outlives_its_expiry_and_the_purge(client: Client) -> None:
    kept, gone, fresh = (_save(client).json()["id"] for _ in range(3))
    past = timezone.now() - datetime.timedelta(days=1)
    Draft.objects.filter(key__in=[kept, gone]).update(expires_at=past)
    Draft.objects.filter(key=kept).update(starred=True)

    out = StringIO()
    call_command("purge_drafts", "--dry-run", stdout=out)
    assert "would delete 1 expired draft(s)" in out.getvalue()
    assert Draft.objects.count() == 3

    call_command("purge_drafts", stdout=out)
    assert set(Draft.objects.values_list("key", flat=True)) == {kept, fresh}
    assert client.get(f"/drafts/{kept}").status_code == 200
    assert purge_expired_drafts() == 0


def test_the_permalink_shows_the_verse_and_how_it_was_made(client: Client) -> None:
    version = _version()
    key = _save(client, model=version.pk).json()["id"]

    page = client.get(f"/drafts/{key}").content.decode()
    assert "I wrote this line myself" in page and "written by a person" in page
    assert "the model&#x27;s first take of 2" in page
    assert "take 2 of 2, picked over the model&#x27;s first" in page
    assert "demo-like" in page and "no longer served" not in page and "42" in page

    text = client.get(f"/drafts/{key}.txt")
    assert text["Content-Type"].startswith("text/plain")
    assert "attachment" in text["Content-Disposition"]
    assert text.content.decode() == "\n".join(line["text"] for line in LINES) + "\n"


def test_a_saved_link_keeps_working_after_its_model_is_retired(client: Client) -> None:
    version = _version()
    key = _save(client, model=version.pk).json()["id"]

    deactivate_model_versions()
    page = client.get(f"/drafts/{key}")
    assert page.status_code == 200 and "no longer served" in page.content.decode()
    assert client.get(f"/api/drafts/{key}").json()["model_active"] is False

    version.delete()
    page = client.get(f"/drafts/{key}")
    assert page.status_code == 200 and "demo-like" in page.content.decode()
    assert "since deleted" in page.content.decode()


def test_the_human_signal_counts_picks_persons_lines_and_marks() -> None:
    version = _version()
    lines = [SavedLine(**line) for line in LINES]  # type: ignore[arg-type]
    for verdict in ("good", "good", "bad"):
        draft = save_draft(lines=lines, model_version_id=version.pk, seed=1, shape={})
        Draft.objects.filter(pk=draft.pk).update(verdict=verdict)

    signal = human_signal(version)
    assert (signal.drafts, signal.model_lines, signal.alternative_picks) == (3, 6, 3)
    assert (signal.person_lines, signal.good, signal.bad) == (3, 2, 1)
    assert signal.first_take_share == 0.5
    assert human_signal(_version("unused", active=False)).first_take_share is None


def test_an_expired_permalink_is_the_sites_404_page(client: Client, settings: Any) -> None:
    settings.DEBUG = False  # production: the site's own 404 page, not Django's debug page
    key = _save(client).json()["id"]
    Draft.objects.filter(key=key).update(expires_at=timezone.now() - datetime.timedelta(days=1))

    page = client.get(f"/drafts/{key}")
    assert page.status_code == 404
    assert "A shared verse may have expired" in page.content.decode()


def test_the_daily_task_purges_through_the_same_service(client: Client) -> None:
    from generator.tasks import purge_drafts

    key = _save(client).json()["id"]
    Draft.objects.filter(key=key).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    assert purge_drafts() == 1
    assert not Draft.objects.filter(key=key).exists()

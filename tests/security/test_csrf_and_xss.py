"""Cross-site requests carry no signed-in power, and text from the catalogue, the model or the
staff reaches pages escaped, never as markup (the page and the admin)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from generator.models import ModelVersion, TrainingRun
from lyrics.models import CleaningRule, Corpus
from tests.factories import ArtistFactory, SongFactory, UserFactory, VerseFactory

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert("


@pytest.fixture
def unloadable_model(db: None) -> ModelVersion:
    return ModelVersion.objects.create(
        name=f"model {PAYLOAD}",
        weights_key="missing/w.hdf5",
        vocab_key="missing/v.json",
        config_key="missing/c.json",
        weights_sha256="0" * 64,
        is_active=True,
    )


def _staff_without_csrf_exemption(**flags: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="signed-in", is_staff=True, **flags))
    return client


def test_a_signed_in_session_cannot_generate_without_the_csrf_token(
    unloadable_model: ModelVersion,
) -> None:
    client = _staff_without_csrf_exemption()
    response = client.post(
        "/api/generate", {"lines": 1, "debug": True}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


def test_the_page_token_lets_the_page_generate(unloadable_model: ModelVersion) -> None:
    client = _staff_without_csrf_exemption()
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/generate", {"lines": 1}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 503  # past CSRF, to the (unloadable) model


def test_an_admin_action_without_the_csrf_token_is_refused(
    unloadable_model: ModelVersion,
) -> None:
    client = _staff_without_csrf_exemption(is_superuser=True)
    response = client.post(
        reverse("admin:generator_modelversion_changelist"),
        {"action": "serve_pretrained", "_selected_action": [unloadable_model.pk], "index": 0},
    )
    assert response.status_code == 403
    assert ModelVersion.objects.active() == unloadable_model


def test_a_cross_site_page_cannot_frame_the_site(client: Client) -> None:
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_home_page_escapes_model_and_corpus_text(client: Client, tmp_path: Any) -> None:
    corpus = Corpus.objects.create(
        file_path=str(tmp_path / "c.txt"),
        sha256="0" * 64,
        byte_size=1,
        verse_count=1,
        source_verse_count=1,
        char_count=1,
        line_count=1,
        vocabulary_size=1,
        word_vocabulary_size=1,
        artist_shares={f"MC {PAYLOAD}": {"verses": 1, "chars": 1, "share": 1.0}},
    )
    ModelVersion.objects.create(name=f"model {PAYLOAD}", corpus=corpus, is_active=True)

    page = client.get("/").content.decode()

    assert PAYLOAD not in page
    assert page.count(ESCAPED) >= 2  # the model's name and the artist's


@pytest.mark.parametrize(
    ("page", "make"),
    [
        ("admin:lyrics_artist_changelist", lambda: ArtistFactory(name=f"MC {PAYLOAD}")),
        ("admin:lyrics_song_changelist", lambda: SongFactory(title=f"Song {PAYLOAD}")),
        ("admin:lyrics_verse_changelist", lambda: VerseFactory(text=f"verse {PAYLOAD}")),
        (
            "admin:lyrics_cleaningrule_changelist",
            lambda: CleaningRule.objects.create(
                name=f"rule {PAYLOAD}", pattern="x", replacement=PAYLOAD, position=9999
            ),
        ),
        (
            "admin:generator_trainingrun_changelist",
            lambda: TrainingRun.objects.create(
                epochs=1, host=PAYLOAD, device=PAYLOAD, error=PAYLOAD
            ),
        ),
        (
            "admin:generator_modelversion_changelist",
            lambda: ModelVersion.objects.create(name=f"v {PAYLOAD}"),
        ),
    ],
)
def test_admin_pages_escape_stored_text(staff_client: Client, page: str, make: Any) -> None:
    row = make()
    listing = staff_client.get(reverse(page)).content.decode()
    change_page = reverse(page.replace("_changelist", "_change"), args=[row.pk])
    detail = staff_client.get(change_page).content.decode()

    assert PAYLOAD not in listing
    assert PAYLOAD not in detail
    assert ESCAPED in detail  # the text is there, as text


def test_the_rule_preview_escapes_the_pattern_and_the_sample(staff_client: Client) -> None:
    VerseFactory(text="a line with x in it")
    response = staff_client.post(
        reverse("admin:lyrics_cleaningrule_preview_new"),
        {
            "kind": "regex",
            "pattern": "x",
            "replacement": PAYLOAD,
            "position": 10,
            "sample_text": f"x {PAYLOAD}",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert PAYLOAD not in html
    assert ESCAPED in html

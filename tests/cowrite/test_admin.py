"""Staff and drafts: filters, star and mark (each behind its permission), the version's human
signal beside its evaluation, and a verse shown as text."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from generator.drafts import SavedLine, save_draft
from generator.models import Draft, ModelVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = ["<script>alert(1)</script> on the mic", "<img src=x onerror=alert(2)> in the booth"]


def _staff(*codenames: str, username: str = "curator") -> Client:
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_draft", "change_draft", *codenames])
    )
    client = Client()
    client.force_login(user)
    return client


def _draft(version: ModelVersion | None = None, texts: list[str] | None = None) -> Draft:
    lines = [
        SavedLine(text=text, takes=(text, "other take"), picked=number % 2)
        for number, text in enumerate(texts or ["one line", "two lines"])
    ]
    return save_draft(
        lines=lines, model_version_id=version.pk if version else None, seed=1, shape={}
    )


def _act(client: Client, action: str, draft: Draft) -> Any:
    return client.post(
        reverse("admin:generator_draft_changelist"),
        {"action": action, "_selected_action": [draft.pk], "index": 0},
    )


def test_starring_needs_the_star_permission() -> None:
    draft = _draft()
    _act(_staff(), "star", draft)
    assert not Draft.objects.get(pk=draft.pk).starred

    _act(_staff("star_draft", username="keeper"), "star", draft)
    assert Draft.objects.get(pk=draft.pk).starred


def test_marking_needs_the_mark_permission_and_records_who() -> None:
    draft = _draft()
    _act(_staff(), "mark_good", draft)
    assert Draft.objects.get(pk=draft.pk).verdict == ""

    _act(_staff("mark_draft", username="judge"), "mark_bad", draft)
    marked = Draft.objects.get(pk=draft.pk)
    assert marked.verdict == "bad" and marked.marked_by.username == "judge"  # type: ignore[union-attr]
    assert marked.marked_at is not None


def test_the_list_filters_by_model_date_starred_and_verdict(
    django_assert_max_num_queries: Any,
) -> None:
    version = ModelVersion.objects.create(name="v-one", weights_sha256="0" * 64)
    for _ in range(5):
        _draft(version)
    _draft()
    client = _staff()
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:generator_draft_changelist")).content.decode()
    for name in ("model_version__id__exact", "starred__exact", "verdict__exact", "created_at"):
        assert name in page
    filtered = client.get(
        reverse("admin:generator_draft_changelist"), {"model_version__id__exact": version.pk}
    ).content.decode()
    assert "5 drafts" in filtered


def test_the_version_page_shows_what_writers_kept_beside_its_evaluation(
    staff_client: Client,
) -> None:
    version = ModelVersion.objects.create(name="v-kept", weights_sha256="0" * 64)
    _draft(version)
    Draft.objects.update(verdict="good")

    page = staff_client.get(
        reverse("admin:generator_modelversion_change", args=[version.pk])
    ).content.decode()
    assert "What writers kept" in page
    assert "its first take kept" in page and "50%" in page
    assert "1 good, 0 bad" in page
    assert page.index("Quality (latest evaluation") < page.index("What writers kept")


def test_a_hostile_verse_is_shown_as_text_in_the_admin(staff_client: Client) -> None:
    draft = _draft(texts=HOSTILE)
    page = staff_client.get(
        reverse("admin:generator_draft_change", args=[draft.pk])
    ).content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; on the mic" in page
    listing = staff_client.get(reverse("admin:generator_draft_changelist")).content.decode()
    assert "<script>alert(1)" not in listing

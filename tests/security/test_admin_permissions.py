"""A staff member who may only look changes nothing: every admin action and every custom admin
view that writes checks the permission it needs (a model's change permission or a custom one)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse

from generator.models import Draft, ModelVersion, TrainingRun
from lyrics.models import CleaningRule, Corpus, Verse
from tests.factories import UserFactory, VerseFactory

pytestmark = pytest.mark.django_db

EVERY_ACTION = sorted(
    (model._meta.label, name)
    for model, model_admin in admin.site._registry.items()
    for _function, name, _description in model_admin._get_base_actions()
)
EVERY_ADMIN = sorted(model._meta.label for model in admin.site._registry)


def _model(label: str) -> type[Model]:
    return next(model for model in admin.site._registry if model._meta.label == label)


def _user_with(*codenames: str, username: str = "looker") -> Any:
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def _view_only_user() -> Any:
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture
def one_of_everything(tmp_path: Any) -> dict[str, Model]:
    """A row of every model the admin shows, in the state each action would change."""
    verse = VerseFactory(included=True)
    corpus_file = tmp_path / "corpus.txt"
    corpus_file.write_text("a line\nanother line\n")
    corpus = Corpus.objects.create(
        file_path=str(corpus_file),
        sha256="0" * 64,
        byte_size=20,
        verse_count=1,
        source_verse_count=1,
        char_count=20,
        line_count=2,
        vocabulary_size=10,
        word_vocabulary_size=3,
    )
    run = TrainingRun.objects.create(corpus=corpus, epochs=1, status=TrainingRun.Status.DONE)
    version = ModelVersion.objects.create(
        name="served-one", training_run=run, corpus=corpus, is_active=True
    )
    ModelVersion.objects.create(name="waiting-one", corpus=corpus)
    rule = CleaningRule.objects.in_order().first()
    assert rule is not None, "the default cleaning rules come with the migrations"
    CleaningRule.objects.filter(pk=rule.pk).update(enabled=False)
    return {
        "lyrics.Artist": verse.song.artist,
        "lyrics.Song": verse.song,
        "lyrics.Verse": verse,
        "lyrics.Corpus": corpus,
        "lyrics.CleaningRule": rule,
        "generator.TrainingRun": run,
        "generator.ModelVersion": version,
        "generator.Draft": Draft.objects.create(
            model_version=version, model_name=version.name, lines=[{"text": "a line"}]
        ),
        "auth.Group": Group.objects.create(name="curators"),
    }


def _everything_in_the_admin() -> str:
    return "".join(
        serializers.serialize("json", model._default_manager.order_by("pk"))
        for model in admin.site._registry
    )


def test_every_admin_action_says_which_permission_it_needs() -> None:
    undeclared = [
        f"{model._meta.label}.{name}"
        for model, model_admin in admin.site._registry.items()
        for function, name, _description in model_admin._get_base_actions()
        if not getattr(function, "allowed_permissions", ())
    ]
    assert undeclared == []


@pytest.mark.parametrize("label", EVERY_ADMIN)
def test_a_view_only_staff_user_is_offered_no_action(label: str) -> None:
    request = RequestFactory().get("/admin/")
    request.user = _view_only_user()
    model_admin = admin.site._registry[_model(label)]

    assert model_admin.has_view_permission(request)
    assert list(model_admin.get_actions(request)) == []


@pytest.mark.parametrize(("label", "action"), EVERY_ACTION)
def test_a_view_only_staff_user_cannot_run_any_action(
    one_of_everything: dict[str, Model], label: str, action: str
) -> None:
    client = Client()
    viewer = _view_only_user()
    client.force_login(viewer)
    model = _model(label)
    row = one_of_everything.get(label, viewer)
    before = _everything_in_the_admin()

    response = client.post(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"),
        {"action": action, "_selected_action": [row.pk], "index": 0, "post": "yes"},
        follow=True,
    )

    assert response.status_code in (200, 403)
    assert _everything_in_the_admin() == before


def test_switching_the_served_model_needs_the_activate_permission(
    one_of_everything: dict[str, Model],
) -> None:
    """The other side of the walk above: the same request succeeds once the permission is held."""
    waiting = ModelVersion.objects.get(name="waiting-one")
    url = reverse("admin:generator_modelversion_changelist")
    action = {"action": "activate", "_selected_action": [waiting.pk], "index": 0}
    client = Client()
    client.force_login(_user_with("view_modelversion", "change_modelversion"))

    client.post(url, action)
    assert ModelVersion.objects.active().name == "served-one"  # type: ignore[union-attr]

    client.force_login(
        _user_with("view_modelversion", "activate_modelversion", username="switcher")
    )
    client.post(url, action)
    assert ModelVersion.objects.active() == waiting


def test_starting_training_needs_the_start_training_permission(
    one_of_everything: dict[str, Model],
) -> None:
    corpus = one_of_everything["lyrics.Corpus"]
    client = Client()
    client.force_login(_user_with("view_corpus", "view_trainingrun", "change_trainingrun"))

    client.post(
        reverse("admin:lyrics_corpus_changelist"),
        {"action": "train_model", "_selected_action": [corpus.pk], "index": 0},
    )

    assert TrainingRun.objects.count() == 1  # only the finished run of the fixture


@pytest.mark.parametrize("method", ["get", "post"])
def test_re_running_cleaning_needs_its_own_permission(
    one_of_everything: dict[str, Model], method: str
) -> None:
    verse = one_of_everything["lyrics.Verse"]
    client = Client()
    client.force_login(_user_with("view_cleaningrule", "change_cleaningrule", "change_verse"))

    response = getattr(client, method)(reverse("admin:lyrics_cleaningrule_rerun"))

    assert response.status_code == 403
    assert Verse.objects.get(pk=verse.pk).text == verse.text


def test_the_rule_list_offers_re_running_only_to_who_may(
    one_of_everything: dict[str, Model],
) -> None:
    client = Client()
    client.force_login(_view_only_user())
    page = client.get(reverse("admin:lyrics_cleaningrule_changelist")).content.decode()
    assert reverse("admin:lyrics_cleaningrule_rerun") not in page

    client.force_login(_user_with("view_cleaningrule", "rerun_cleaning", username="cleaner"))
    page = client.get(reverse("admin:lyrics_cleaningrule_changelist")).content.decode()
    assert reverse("admin:lyrics_cleaningrule_rerun") in page


def test_the_preview_writes_nothing_so_a_viewer_may_use_it(
    one_of_everything: dict[str, Model],
) -> None:
    rule = one_of_everything["lyrics.CleaningRule"]
    client = Client()
    client.force_login(_view_only_user())
    before = _everything_in_the_admin()

    response = client.post(
        reverse("admin:lyrics_cleaningrule_preview", args=[rule.pk]),
        {"kind": "regex", "pattern": "city", "replacement": "town", "position": 10},
    )

    assert response.status_code == 200
    assert _everything_in_the_admin() == before


@pytest.mark.parametrize("label", EVERY_ADMIN)
def test_a_view_only_staff_user_cannot_save_a_change_form(
    one_of_everything: dict[str, Model], label: str
) -> None:
    client = Client()
    viewer = _view_only_user()
    client.force_login(viewer)
    model = _model(label)
    row = one_of_everything.get(label, viewer)
    before = _everything_in_the_admin()

    response = client.post(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk]),
        {"name": "changed", "enabled": "on", "is_active": "on", "text": "changed"},
    )

    assert response.status_code == 403
    assert _everything_in_the_admin() == before


def test_a_view_only_staff_user_cannot_save_the_rule_list(
    one_of_everything: dict[str, Model],
) -> None:
    rule = one_of_everything["lyrics.CleaningRule"]
    client = Client()
    client.force_login(_view_only_user())

    response = client.post(
        reverse("admin:lyrics_cleaningrule_changelist"),
        {
            "form-TOTAL_FORMS": 1,
            "form-INITIAL_FORMS": 1,
            "form-0-id": rule.pk,
            "form-0-position": 1,
            "form-0-enabled": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 403
    assert CleaningRule.objects.get(pk=rule.pk).enabled is False

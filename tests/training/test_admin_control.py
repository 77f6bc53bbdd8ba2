"""Staff control training from the admin: a form with the run's options on a corpus, a Stop
action (checkpoint, interrupted, resumable), and progress refreshed without a reload."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from generator.admin import TrainingOptionsForm
from generator.ml.config import DEFAULT_PATIENCE, DEFAULT_WEIGHT_AVERAGE
from generator.models import ModelVersion, TrainingRun
from generator.training import (
    RunOptions,
    TrainingListener,
    create_training_run,
    start_or_resume_run,
)
from lyrics.models import Corpus
from tests.factories import UserFactory
from tests.training.conftest import TINY_OPTIONS

pytestmark = pytest.mark.django_db

VALID = {
    "epochs": "2",
    "objective": "all-positions",
    "batch_size": "8",
    "learning_rate": "0.01",
    "patience": "3",
    "weight_average": "0.95",
    "start_from": "new",
    "activate": "on",
}


def _start_url(corpus: Corpus) -> str:
    return reverse("admin:generator_trainingrun_start", args=[corpus.pk])


def _stop(client: Client, run: TrainingRun) -> list[str]:
    response = client.post(
        reverse("admin:generator_trainingrun_changelist"),
        {"action": "stop_runs", "_selected_action": [run.pk]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_the_corpus_action_opens_the_training_form(
    work_dirs: Path, corpus: Corpus, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("admin:lyrics_corpus_changelist"),
        {"action": "train_with_options", "_selected_action": [corpus.pk]},
    )
    assert response.status_code == 302 and response["Location"] == _start_url(corpus)
    page = staff_client.get(_start_url(corpus)).content.decode()
    for field in (
        "epochs",
        "objective",
        "batch_size",
        "learning_rate",
        "patience",
        "weight_average",
        "activate",
    ):
        assert f'name="{field}"' in page


def test_the_form_starts_a_run_with_the_chosen_options(
    work_dirs: Path,
    corpus: Corpus,
    staff_client: Client,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.TRAINING_ADMIN_OPTIONS = TINY_OPTIONS

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_start_url(corpus), VALID)

    run = TrainingRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:generator_trainingrun_change", args=[run.pk])
    training = run.hyperparameters["training"]
    assert (training["objective"], training["batch_size"]) == ("all-positions", 8)
    assert (training["learning_rate"], training["patience"], run.epochs) == (0.01, 3, 2)
    assert training["weight_average"] == 0.95
    assert run.from_pretrained is False and run.activate_when_done is True
    # Celery is eager in tests: the run has trained, and its model is served as asked.
    assert run.status == TrainingRun.Status.DONE
    assert ModelVersion.objects.get(training_run=run).is_active
    page = staff_client.get(response["Location"]).content.decode()
    progress_url = reverse("admin:generator_trainingrun_progress", args=[run.pk])
    assert f'data-training-progress="{progress_url}"' in page
    assert "js/training-progress.js" in page


def test_out_of_range_values_are_refused_with_the_field_named(
    work_dirs: Path, corpus: Corpus, staff_client: Client
) -> None:
    bad = {
        **VALID,
        "epochs": "0",
        "batch_size": "100000",
        "learning_rate": "5",
        "patience": "-1",
        "weight_average": "1",
    }

    response = staff_client.post(_start_url(corpus), bad)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"epochs", "batch_size", "learning_rate", "patience", "weight_average"}
    page = response.content.decode()
    assert "Epochs: Ensure this value is greater than or equal to 1." in page
    assert "Batch size: Ensure this value is less than or equal to 8192." in page
    assert "Patience: Ensure this value is greater than or equal to 0." in page
    assert "Weight average: Ensure this value is less than or equal to 0.9999." in page
    assert not TrainingRun.objects.exists()


def test_the_form_says_why_a_corpus_cannot_be_trained_now(
    work_dirs: Path, corpus: Corpus, staff_client: Client
) -> None:
    active = create_training_run(corpus_id=corpus.pk, options=RunOptions(epochs=1, **TINY_OPTIONS))

    response = staff_client.post(_start_url(corpus), VALID)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"corpus #{corpus.pk} already has run #{active.pk} queued; wait for it to finish (or "
        "stop it) before starting another"
    ]


def test_stop_checkpoints_the_run_which_resumes_to_the_end(
    work_dirs: Path, corpus_file: Path, staff_client: Client
) -> None:
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(epochs=2, **TINY_OPTIONS))

    messages = _stop(staff_client, run)
    outcome = start_or_resume_run(run.pk)  # the worker meets the request at its first batch

    assert messages[0].startswith(f"Run #{run.pk} asked to stop")
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.INTERRUPTED
    assert run.stop_reason == "stopped on request"
    assert run.checkpoint_keys == [f"runs/{run.pk}/epoch-0000-batch-000001.ckpt"]
    assert "resume it on any machine" in outcome.message

    resumed = start_or_resume_run(run.pk)

    assert resumed.status == TrainingRun.Status.DONE
    run.refresh_from_db()
    assert run.stop_requested_at is None and run.epochs_done == 2


def test_stop_on_a_finished_run_says_there_is_nothing_to_stop(
    work_dirs: Path, staff_client: Client
) -> None:
    done = TrainingRun.objects.create(epochs=1, status=TrainingRun.Status.DONE)

    assert _stop(staff_client, done) == [
        f"Not stopped: run #{done.pk} is done: there is nothing to stop"
    ]


def test_the_progress_view_follows_a_running_run(
    work_dirs: Path, corpus_file: Path, staff_client: Client, settings: Any
) -> None:
    settings.TRAINING_HEARTBEAT_S = 1
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(epochs=2, **TINY_OPTIONS))
    url = reverse("admin:generator_trainingrun_progress", args=[run.pk])
    seen: list[dict[str, Any]] = []

    def on_batch(done: int, total: int) -> None:
        if done == 1:
            time.sleep(1.1)  # past the write interval: batch 2 writes the progress again
        if done == 3:
            seen.append(staff_client.get(url).json())

    start_or_resume_run(run.pk, listener=TrainingListener(on_batch=on_batch))

    progress = seen[0]
    assert progress["status"] == "running"
    assert (progress["epoch"], progress["epochs"], progress["batch"]) == (1, 2, 2)
    assert progress["batches"] >= 3
    assert progress["windows_per_second"] > 0 and progress["eta_seconds"] >= 0
    assert progress["summary"].startswith(f"epoch 1/2, batch 2/{progress['batches']}, ")
    finished = staff_client.get(url).json()
    assert finished["status"] == "done" and finished["batch"] is None
    assert finished["summary"].startswith("done, 2/2 epochs, kept epoch ")


def test_staff_without_the_permissions_can_neither_start_nor_stop(
    work_dirs: Path, corpus: Corpus
) -> None:
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_trainingrun", "view_corpus"])
    )
    client = Client()
    client.force_login(viewer)
    run = create_training_run(corpus_id=corpus.pk, options=RunOptions(epochs=1, **TINY_OPTIONS))

    assert client.get(_start_url(corpus)).status_code == 403
    assert client.post(_start_url(corpus), VALID).status_code == 403
    client.post(
        reverse("admin:generator_trainingrun_changelist"),
        {"action": "stop_runs", "_selected_action": [run.pk]},
    )
    run.refresh_from_db()
    assert run.stop_requested_at is None
    assert TrainingRun.objects.count() == 1
    assert (
        client.get(reverse("admin:generator_trainingrun_progress", args=[run.pk])).json()["status"]
        == "queued"
    )


@pytest.mark.parametrize(
    ("field", "given", "expected"),
    [
        ("patience", "", DEFAULT_PATIENCE),
        ("patience", "0", None),  # train every epoch
        ("patience", "5", 5),
        ("weight_average", "", DEFAULT_WEIGHT_AVERAGE),
        ("weight_average", "0", None),  # keep the trained weights
        ("weight_average", "0.9", 0.9),
    ],
)
def test_a_setting_left_empty_is_the_default_and_0_turns_it_off(
    settings: Any, field: str, given: str, expected: float | None
) -> None:
    settings.TRAINING_ADMIN_OPTIONS = TINY_OPTIONS
    form = TrainingOptionsForm(data={**VALID, field: given})

    assert form.is_valid(), form.errors
    assert getattr(form.training_options(), f"{field}_or_default") == expected

"""A training run's and a model version's admin pages are reports: read-only, numbers as people
read them, the losses drawn against epochs and wall time, and a version served with one button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generator.models import ModelVersion, TrainingRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EPOCHS = [
    {"epoch": 1, "loss": 2.3456789, "val_loss": 2.5012345, "windows_per_second": 1625.3479617607527,
     "seconds": 23.478384979999646},
    {"epoch": 2, "loss": 1.8765432, "val_loss": 2.1098765, "windows_per_second": 1701.2,
     "seconds": 221.6},
]  # fmt: skip


@pytest.fixture
def artifacts(settings: Any, tmp_path: Path) -> Path:
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    settings.ARTIFACTS_S3_BUCKET = ""
    return Path(settings.ARTIFACTS_DIR)


@pytest.fixture
def finished_run(artifacts: Path) -> TrainingRun:
    run = TrainingRun.objects.create(
        epochs=2,
        epochs_done=2,
        status=TrainingRun.Status.DONE,
        epoch_metrics=EPOCHS,
        best_epoch=2,
        windows_per_second=1625.3479617607527,
        wall_seconds=245.07,
        device="cpu",
        host="trainer-1",
        hyperparameters={
            "model": {"rnn_size": 128, "rnn_bidirectional": False},
            "training": {"learning_rate": 0.004, "patience": None, "objective": "last"},
        },
    )
    run.checkpoint_keys = [f"runs/{run.pk}/epoch-0001.ckpt", f"runs/{run.pk}/epoch-0002.ckpt"]
    run.save()
    folder = artifacts / "runs" / str(run.pk)
    folder.mkdir(parents=True)
    (folder / "epoch-0001.ckpt").write_bytes(b"x" * 1536)  # epoch 2's file is gone
    return run


def _version(name: str = "run-1", **fields: Any) -> ModelVersion:
    return ModelVersion.objects.create(
        name=name,
        metrics={"val_loss": 2.1098765, "loss": 1.8765432, "epochs": 2, "epochs_trained": 2,
                 "windows_per_second": 1701.2, "wall_seconds": 245.07, "device": "cpu",
                 "stop_reason": "finished its 2 epochs", "objective": "last"},
        **fields,
    )  # fmt: skip


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _run_page(client: Client, run: TrainingRun) -> str:
    return _page(client, reverse("admin:generator_trainingrun_change", args=[run.pk]))


def test_a_run_page_is_a_report_without_save_or_delete(
    staff_client: Client, finished_run: TrainingRun
) -> None:
    page = _run_page(staff_client, finished_run)

    assert f"Training run #{finished_run.pk}" in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert "deletelink" not in page
    assert "Change training run" not in page


def test_a_run_page_formats_its_numbers(staff_client: Client, finished_run: TrainingRun) -> None:
    page = _run_page(staff_client, finished_run)

    assert "1,625 windows/s, 4 min 5 s of training on cpu, trainer-1" in page
    assert "1625.34" not in page and "23.478" not in page
    # The epochs as a table: losses to 3 decimals, epoch and cumulative wall time.
    assert "<td>1</td><td>2.346</td><td>2.501</td><td>1,625 windows/s</td><td>23 s</td>" in page
    assert "<td>2 (kept)</td><td>1.877</td><td>2.110</td><td>1,701 windows/s</td>" in page
    assert "<td>3 min 42 s</td><td>4 min 5 s</td>" in page


def test_a_run_page_shows_hyperparameters_as_a_table_not_json(
    staff_client: Client, finished_run: TrainingRun
) -> None:
    page = _run_page(staff_client, finished_run)

    assert '<table class="hyperparameter-table">' in page
    assert "<td>network</td><td>rnn size</td><td>128</td>" in page
    assert "<td>network</td><td>rnn bidirectional</td><td>no</td>" in page
    assert "<td>training</td><td>learning rate</td><td>0.004</td>" in page
    assert "<td>training</td><td>patience</td><td>none: every epoch</td>" in page
    assert "&quot;rnn_size&quot;" not in page and '"rnn_size"' not in page


def test_a_run_page_lists_its_checkpoints_with_sizes(
    staff_client: Client, finished_run: TrainingRun
) -> None:
    page = _run_page(staff_client, finished_run)

    first, second = finished_run.checkpoint_keys
    assert f"<li><code>{first}</code> 1.5 KiB</li>" in page
    assert f"<li><code>{second}</code> missing from storage</li>" in page


def test_the_loss_chart_has_an_epoch_axis_and_wall_time(
    staff_client: Client, finished_run: TrainingRun
) -> None:
    page = _run_page(staff_client, finished_run)

    assert 'class="epoch-tick">1</text>' in page and 'class="epoch-tick">2</text>' in page
    assert 'class="time-tick">23 s</text>' in page
    assert 'class="time-tick">4 min 5 s</text>' in page
    assert "epoch (wall time at its end)" in page
    assert "<title>kept: epoch 2, validation loss 2.110</title>" in page


def test_the_runs_list_formats_speed_and_time(
    staff_client: Client, finished_run: TrainingRun
) -> None:
    page = _page(staff_client, reverse("admin:generator_trainingrun_changelist"))

    assert "1,625 windows/s" in page and "4 min 5 s" in page
    assert "<h1>Training runs</h1>" in page


def test_nothing_on_a_run_page_can_be_saved_or_deleted(
    staff_client: Client, finished_run: TrainingRun
) -> None:
    change = reverse("admin:generator_trainingrun_change", args=[finished_run.pk])
    delete = reverse("admin:generator_trainingrun_delete", args=[finished_run.pk])

    assert staff_client.post(change, {"epochs": 9, "status": "failed"}).status_code == 403
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    finished_run.refresh_from_db()
    assert (finished_run.epochs, finished_run.status) == (2, TrainingRun.Status.DONE)


def test_the_stop_action_stays_for_who_may_change_runs(staff_client: Client) -> None:
    response = staff_client.get(reverse("admin:generator_trainingrun_changelist"))

    assert list(response.context["action_form"].fields["action"].choices)[1][0] == "stop_runs"


def test_the_versions_list_shows_held_out_loss_and_evaluation_columns(
    staff_client: Client,
) -> None:
    _version()

    page = _page(staff_client, reverse("admin:generator_modelversion_changelist"))

    assert "Held-out loss" in page and "Bits/char" in page and "Rhyme density" in page
    assert '<td class="field-held_out_loss">2.110</td>' in page


def test_a_version_page_activates_with_one_button_and_keeps_the_name_as_typed(
    staff_client: Client,
) -> None:
    version = _version()
    change = reverse("admin:generator_modelversion_change", args=[version.pk])
    activate = reverse("admin:generator_modelversion_activate", args=[version.pk])

    page = _page(staff_client, change)
    assert f'formaction="{activate}"' in page
    assert 'name="_save"' not in page and "deletelink" not in page
    assert "<td>held-out loss (kept epoch)</td><td>2.110</td>" in page
    assert "<td>training time</td><td>4 min 5 s</td>" in page

    response = staff_client.post(activate, follow=True)

    assert ModelVersion.objects.get(pk=version.pk).is_active
    page = response.content.decode()
    assert "run-1 is now served; workers switch on their next request." in page
    assert "Run-1" not in page
    assert "run-1 is served now." in page


def test_activating_needs_a_post_and_the_activate_permission() -> None:
    version = _version()
    activate = reverse("admin:generator_modelversion_activate", args=[version.pk])
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_modelversion", "change_modelversion"])
    )
    client = Client()
    client.force_login(viewer)

    page = _page(client, reverse("admin:generator_modelversion_change", args=[version.pk]))
    assert activate not in page
    assert "needs the <em>Can activate model versions</em> permission" in page
    assert client.post(activate).status_code == 403
    assert client.get(activate).status_code == 405
    assert not ModelVersion.objects.get(pk=version.pk).is_active


def test_a_version_page_cannot_be_saved(staff_client: Client) -> None:
    version = _version()

    response = staff_client.post(
        reverse("admin:generator_modelversion_change", args=[version.pk]), {"name": "renamed"}
    )

    assert response.status_code == 403
    assert ModelVersion.objects.get(pk=version.pk).name == "run-1"


def test_the_runs_list_does_not_grow_queries_with_runs(staff_client: Client) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _page(staff_client, reverse("admin:generator_trainingrun_changelist"))
        return len(captured)

    TrainingRun.objects.create(epochs=2, epoch_metrics=EPOCHS, status="done")
    few = queries()
    for _ in range(5):
        TrainingRun.objects.create(epochs=2, epoch_metrics=EPOCHS, status="failed")
    assert queries() == few

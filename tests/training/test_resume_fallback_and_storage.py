"""Corrupt checkpoints are skipped with a warning; uploads are retried, and a run whose
checkpoint cannot be stored fails, keeping the local copy and reporting nothing as done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from generator.artifacts import store_from_settings
from generator.ml.checkpoint import load_checkpoint
from generator.models import ModelVersion, TrainingRun
from generator.training import (
    RunOptions,
    TrainingListener,
    TrainingRequestError,
    TrainingRunError,
    create_training_run,
    start_or_resume_run,
)
from tests.s3server import FlakyS3Proxy
from tests.training.conftest import TINY_OPTIONS, interrupted_run

pytestmark = pytest.mark.django_db


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["corrupt", "truncate"])
def test_it_resumes_from_the_previous_checkpoint_when_the_newest_is_damaged(
    corpus_file: Path, work_dirs: Path, settings: Any, tmp_path: Path, damage: str, objective: str
) -> None:
    run = interrupted_run(corpus_file, epochs=3, stop_after_epoch=2, objective=objective)
    newest = Path(django_settings.ARTIFACTS_DIR) / f"runs/{run.pk}/epoch-0002.ckpt"
    data = bytearray(newest.read_bytes())
    if damage == "corrupt":
        data[len(data) // 2] ^= 0xFF
    else:
        del data[len(data) // 2 :]
    newest.write_bytes(bytes(data))
    warnings: list[str] = []
    settings.DATA_DIR = tmp_path / "machine-b"

    outcome = start_or_resume_run(run.pk, listener=TrainingListener(on_warning=warnings.append))

    assert len(warnings) == 1
    assert f"runs/{run.pk}/epoch-0002.ckpt" in warnings[0]
    assert ("corrupt" if damage == "corrupt" else "truncated") in warnings[0]
    assert outcome.warnings == warnings
    assert outcome.status == TrainingRun.Status.DONE
    assert [row["epoch"] for row in outcome.run.epoch_metrics] == [1, 2, 3]
    # Epoch 2 was trained again and its checkpoint replaced the damaged one.
    store = store_from_settings(django_settings)
    restored = tmp_path / "restored.ckpt"
    store.get_file(f"runs/{run.pk}/epoch-0002.ckpt", restored)
    assert load_checkpoint(restored).epoch == 2


def test_uploads_refused_for_a_while_are_retried_and_the_run_completes(
    corpus_file: Path, flaky_artifacts: FlakyS3Proxy, s3_artifacts: str, objective: str
) -> None:
    run = create_training_run(
        corpus_file=corpus_file, options=RunOptions(epochs=2, objective=objective, **TINY_OPTIONS)
    )
    flaky_artifacts.fail_next(2, method="PUT")

    outcome = start_or_resume_run(run.pk)

    assert outcome.status == TrainingRun.Status.DONE
    refused = [r for r in flaky_artifacts.requests("PUT") if r.status == 503]
    assert len(refused) == 2
    assert outcome.run.checkpoint_keys == [
        f"runs/{run.pk}/epoch-0001.ckpt",
        f"runs/{run.pk}/epoch-0002.ckpt",
    ]


def test_a_checkpoint_that_cannot_be_stored_fails_the_run_and_stays_on_disk(
    corpus_file: Path, flaky_artifacts: FlakyS3Proxy, settings: Any
) -> None:
    settings.ARTIFACTS_S3_MAX_ATTEMPTS = 2
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(epochs=2, **TINY_OPTIONS))
    # The corpus copy goes up first; from the first checkpoint on, storage refuses everything.
    refuse_all = TrainingListener(on_start=lambda _: flaky_artifacts.fail_next(100))

    with pytest.raises(TrainingRunError) as failure:
        start_or_resume_run(run.pk, listener=refuse_all)

    message = str(failure.value)
    assert "\n" not in message
    assert "epoch-0001.ckpt could not be stored" in message
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert run.error and "\n" not in run.error
    assert run.epochs_done == 0 and run.checkpoint_keys == []
    local = Path(settings.DATA_DIR) / "training" / f"run-{run.pk}" / "checkpoints"
    assert (local / "epoch-0001.ckpt").is_file()
    assert str(local / "epoch-0001.ckpt") in message
    assert not ModelVersion.objects.exists()


def test_a_folder_that_cannot_be_written_fails_the_run_in_one_line_and_it_resumes_once_fixed(
    corpus_file: Path, work_dirs: Path
) -> None:
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(epochs=2, **TINY_OPTIONS))
    # A file where the run's local checkpoint folder goes: the machine's fault, as a full disk
    # or a read-only mount would be, not the code's.
    blocked = run.work_dir / "checkpoints"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a folder")

    with pytest.raises(TrainingRunError) as failure:
        start_or_resume_run(run.pk)

    assert str(failure.value) == (
        f"run #{run.pk} failed: File exists: {blocked}; once that is fixed, resume it with: "
        f"python manage.py train --resume {run.pk}"
    )
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert run.error == f"File exists: {blocked}"

    blocked.unlink()
    outcome = start_or_resume_run(run.pk)
    assert outcome.status == TrainingRun.Status.DONE


def test_a_run_whose_stored_checkpoints_are_gone_says_where_it_looked(
    corpus_file: Path, work_dirs: Path
) -> None:
    run = interrupted_run(corpus_file, epochs=2, stop_after_epoch=1)
    store = store_from_settings(django_settings)
    for key in store.list(run.artifact_prefix):
        store.delete(key)

    with pytest.raises(TrainingRequestError) as refused:
        start_or_resume_run(run.pk)

    assert str(refused.value) == (
        f"run #{run.pk} has no checkpoint in storage under {store.uri(f'runs/{run.pk}')}"
    )

"""`manage.py train` stores a checkpoint per epoch in S3 and registers the trained model."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from generator.ml.checkpoint import load_checkpoint
from generator.models import ModelVersion, TrainingRun
from tests.s3server import MotoS3Server
from tests.training.conftest import TINY_FLAGS

pytestmark = pytest.mark.django_db


def test_it_stores_every_epoch_in_s3_and_registers_a_version(
    corpus_file: Path, s3_artifacts: str, moto_s3: MotoS3Server, tmp_path: Path, objective: str
) -> None:
    out = StringIO()
    flags = ["--epochs", "2", *TINY_FLAGS, "--objective", objective]
    call_command("train", "--corpus-file", str(corpus_file), *flags, stdout=out)

    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.DONE
    assert run.epochs_done == 2
    prefix = f"runs/{run.pk}/"
    assert run.checkpoint_keys == [prefix + "epoch-0001.ckpt", prefix + "epoch-0002.ckpt"]
    keys = moto_s3.object_keys(s3_artifacts)
    assert [k for k in keys if k.startswith(prefix)] == [
        prefix + "corpus.txt",
        prefix + "epoch-0001.ckpt",
        prefix + "epoch-0002.ckpt",
    ]
    assert [row["epoch"] for row in run.epoch_metrics] == [1, 2]
    assert all(row["loss"] > 0 and row["val_loss"] > 0 for row in run.epoch_metrics)
    assert run.windows_per_second and run.windows_per_second > 0
    assert run.wall_seconds > 0 and run.device in ("CPU", "GPU") and run.host

    # The stored checkpoint is the run's last epoch, complete and verifiable.
    stored = tmp_path / "stored.ckpt"
    stored.write_bytes(moto_s3.object_bytes(s3_artifacts, prefix + "epoch-0002.ckpt"))
    assert load_checkpoint(stored).epoch == 2

    version = ModelVersion.objects.get()
    assert version.name == f"run-{run.pk}" and version.training_run == run
    assert version.line_index_key and version.line_index_key in keys
    assert {version.weights_key, version.vocab_key, version.config_key} <= set(keys)
    assert f"run #{run.pk} done: 2 epochs" in out.getvalue()

    # Once uploaded, only the newest checkpoint is kept on the machine.
    local = sorted(p.name for p in (tmp_path / "machine-a").rglob("*.ckpt"))
    assert local == ["epoch-0002.ckpt"]

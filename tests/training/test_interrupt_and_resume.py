"""SIGTERM mid-run: a checkpoint is stored, the command exits 0, --resume finishes anywhere."""

from __future__ import annotations

import os
import signal
import threading
import time
from io import StringIO
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from django.core.management import call_command

from generator.models import ModelVersion, TrainingRun
from tests.s3server import MotoS3Server
from tests.training.conftest import TINY_FLAGS

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _sigterm_once_stored(
    moto_s3: MotoS3Server, bucket: str, suffix: str, done: threading.Event
) -> threading.Thread:
    """A real SIGTERM to this process once a key ending with `suffix` is stored (mid-training)."""

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not done.is_set():
            if any(key.endswith(suffix) for key in moto_s3.object_keys(bucket)):
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _weights(moto_s3: MotoS3Server, bucket: str, key: str, path: Path) -> list[np.ndarray]:
    path.write_bytes(moto_s3.object_bytes(bucket, key))
    arrays: list[np.ndarray] = []
    with h5py.File(path, "r") as handle:
        handle.visititems(
            lambda _name, item: (
                arrays.append(np.asarray(item)) if isinstance(item, h5py.Dataset) else None
            )
        )
    return arrays


def test_sigterm_stores_a_checkpoint_and_resume_elsewhere_matches_an_uninterrupted_run(
    corpus_file: Path,
    s3_artifacts: str,
    moto_s3: MotoS3Server,
    settings: Any,
    tmp_path: Path,
    objective: str,
) -> None:
    flags = ["--epochs", "3", *TINY_FLAGS, "--batch-size", "4", "--seed", "7"]
    flags += ["--objective", objective]
    out, err = StringIO(), StringIO()
    done = threading.Event()
    watcher = _sigterm_once_stored(moto_s3, s3_artifacts, "/epoch-0001.ckpt", done)
    started = time.monotonic()
    previous_handler = signal.getsignal(signal.SIGTERM)
    try:
        call_command("train", "--corpus-file", str(corpus_file), *flags, stdout=out, stderr=err)
    finally:
        done.set()
        watcher.join(timeout=5)

    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.INTERRUPTED
    assert 1 <= run.epochs_done < 3
    assert time.monotonic() - started < 120
    assert "SIGTERM received" in err.getvalue()
    assert f"python manage.py train --resume {run.pk}" in out.getvalue()
    assert run.checkpoint_keys[-1] in moto_s3.object_keys(s3_artifacts)
    assert not ModelVersion.objects.exists()
    # The command gave the signal back to whoever handled it before.
    assert signal.getsignal(signal.SIGTERM) == previous_handler

    # Another machine: an empty local folder, and the corpus file is not there.
    settings.DATA_DIR = tmp_path / "machine-b"
    corpus_file.unlink()
    out = StringIO()
    call_command("train", "--resume", str(run.pk), stdout=out)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.DONE
    assert [row["epoch"] for row in run.epoch_metrics] == [1, 2, 3]
    resumed = ModelVersion.objects.get(training_run=run)

    # The same run without interruption, on the same corpus, gives the same weights.
    settings.DATA_DIR = tmp_path / "machine-c"
    corpus_file.write_bytes(moto_s3.object_bytes(s3_artifacts, f"runs/{run.pk}/corpus.txt"))
    call_command("train", "--corpus-file", str(corpus_file), *flags, stdout=StringIO())
    straight = ModelVersion.objects.exclude(pk=resumed.pk).get()
    resumed_weights = _weights(moto_s3, s3_artifacts, resumed.weights_key, tmp_path / "a.hdf5")
    straight_weights = _weights(moto_s3, s3_artifacts, straight.weights_key, tmp_path / "b.hdf5")
    assert len(resumed_weights) == len(straight_weights) > 0
    for a, b in zip(resumed_weights, straight_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)

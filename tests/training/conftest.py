"""Shared pieces for the training service's tests: a tiny original corpus, tiny networks, S3."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from generator.models import TrainingRun
from generator.training.listener import CheckpointStored
from lyrics.models import Corpus
from tests.s3server import FlakyS3Proxy, MotoS3Server

# Invented verses (never copied lyrics): enough windows for a few batches, seconds per epoch.
VERSES = [
    "Morning bus is late again, the driver waves me on\n"
    "I write a couple bars before the coffee's gone",
    "Pigeons on the wire like a chorus in a row\n"
    "They never pay the rent but they run the whole show",
    "Grandma hums a tune while she's folding up the sheets\n"
    "I sample every sound that comes up off the street",
    "Basketball at noon and the asphalt's turning gold\n"
    "We argue over fouls like the stories that we told",
    "Laundromat at night where the dryers spin in time\n"
    "I tap it on the glass and it's turning into rhyme",
    "Notebook in my pocket with the corners curling up\n"
    "Every page a promise that I'm never giving up",
    "Rooftop in July and the city's breathing slow\n"
    "The radio is crackling with a song we used to know",
    "Corner of the block where the vendor sells the limes\n"
    "He counts in three languages and never misses dimes",
]
# `manage.py train` flags for a network of a few thousand parameters.
TINY_FLAGS = ["--new", "--rnn-layers", "1", "--rnn-size", "16", "--max-length", "10"]
TINY_FLAGS += ["--dim-embeddings", "8", "--batch-size", "16", "--validation-split", "0.2"]
# The same network as RunOptions fields (also a TRAINING_ADMIN_OPTIONS value).
TINY_OPTIONS: dict[str, Any] = {
    "from_pretrained": False,
    "model_options": {"rnn_layers": 1, "rnn_size": 16, "max_length": 10, "dim_embeddings": 8},
    "batch_size": 16,
    "validation_split": 0.2,
}


@pytest.fixture(params=["last", "all-positions"])
def objective(request: pytest.FixtureRequest) -> str:
    """Both training objectives: every guarantee of a run holds for each."""
    return str(request.param)


def write_corpus(path: Path, verses: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(verses) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus_file(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpora" / "tiny.txt", VERSES)


def interrupted_run(
    corpus_file: Path, *, epochs: int, stop_after_epoch: int, objective: str = "last"
) -> TrainingRun:
    """A run of a tiny network stopped (as by SIGTERM) once epoch `stop_after_epoch` is stored."""
    from generator.ml.fit import StopFlag
    from generator.training import (
        RunOptions,
        TrainingListener,
        create_training_run,
        start_or_resume_run,
    )

    run = create_training_run(
        corpus_file=corpus_file,
        options=RunOptions(epochs=epochs, objective=objective, **TINY_OPTIONS),
    )
    stop = StopFlag()

    def stop_once_stored(stored: CheckpointStored) -> None:
        if stored.epoch == stop_after_epoch:
            stop.request()

    outcome = start_or_resume_run(
        run.pk, stop=stop, listener=TrainingListener(on_checkpoint=stop_once_stored)
    )
    assert outcome.status == TrainingRun.Status.INTERRUPTED
    return outcome.run


def corpus_row(path: Path) -> Corpus:
    data = path.read_bytes()
    text = data.decode()
    return Corpus.objects.create(
        file_path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
        verse_count=text.count("\n\n") + 1 if text.strip() else 0,
        source_verse_count=0,
        char_count=len(text),
        line_count=sum(1 for line in text.splitlines() if line.strip()),
        vocabulary_size=len(set(text)),
        word_vocabulary_size=len(set(text.lower().split())),
    )


@pytest.fixture
def corpus(db: None, corpus_file: Path) -> Corpus:
    return corpus_row(corpus_file)


@pytest.fixture
def child_processes_share_this_test(settings: Any, work_dirs: Path, monkeypatch: Any) -> None:
    """A `manage.py` process the test starts sees this test's database and folders (the
    test database must be PostgreSQL: another process cannot reach an in-memory SQLite one)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the test database must be reachable from another process (PostgreSQL)")
    user, host, port, name = db["USER"], db["HOST"], db["PORT"], db["NAME"]
    monkeypatch.setenv("DATABASE_URL", f"postgres://{user}@{host}:{port}/{name}")
    monkeypatch.setenv("RAPLYRICS_DATA_DIR", str(settings.DATA_DIR))
    monkeypatch.setenv("ARTIFACTS_DIR", str(settings.ARTIFACTS_DIR))
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)


@pytest.fixture
def work_dirs(settings: Any, tmp_path: Path) -> Path:
    """DATA_DIR (local checkpoints, fetched files) and the local artifact store, per test."""
    settings.DATA_DIR = tmp_path / "machine-a"
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    settings.ARTIFACTS_S3_BUCKET = ""
    return tmp_path


@pytest.fixture
def s3_artifacts(settings: Any, work_dirs: Path, moto_s3: MotoS3Server, s3_bucket: str) -> str:
    """Artifacts go to a fresh bucket on moto_server; returns the bucket's name."""
    settings.ARTIFACTS_S3_BUCKET = s3_bucket
    settings.ARTIFACTS_S3_ENDPOINT_URL = moto_s3.endpoint_url
    settings.ARTIFACTS_S3_PREFIX = ""
    settings.ARTIFACTS_S3_MAX_ATTEMPTS = 4
    return s3_bucket


@pytest.fixture
def flaky_artifacts(s3_artifacts: str, settings: Any, flaky_s3: FlakyS3Proxy) -> FlakyS3Proxy:
    """Artifacts go to the bucket through the fault-injecting proxy."""
    settings.ARTIFACTS_S3_ENDPOINT_URL = flaky_s3.endpoint_url
    return flaky_s3

"""Models for the evaluation's tests: the engine's tiny ones (tests/engine/conftest.py), and a
tiny version trained end to end by the training service (tests/training/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.models import ModelVersion
from tests.engine.conftest import memorised_sampler, random_sampler, tiny_vocabulary
from tests.training.conftest import TINY_OPTIONS, corpus_file, work_dirs

__all__ = [
    "corpus_file",
    "memorised_sampler",
    "random_sampler",
    "tiny_vocabulary",
    "trained_version",
    "work_dirs",
]


def train_tiny_version(corpus_file: Path) -> ModelVersion:
    """One epoch of a tiny network on the file: a registered version, in seconds."""
    from generator.training import RunOptions, create_training_run, start_or_resume_run

    run = create_training_run(corpus_file=corpus_file, options=RunOptions(epochs=1, **TINY_OPTIONS))
    outcome = start_or_resume_run(run.pk)
    assert outcome.version is not None, outcome.message
    return outcome.version


@pytest.fixture
def trained_version(db: None, work_dirs: Path, corpus_file: Path) -> ModelVersion:
    return train_tiny_version(corpus_file)

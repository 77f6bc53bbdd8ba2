"""The shipped demo model, read by the engine straight from generator/demo/model (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.ml.cowrite import ModelAids
from generator.ml.engine import Engine
from generator.ml.originality import CorpusLineIndex
from generator.ml.weight_files import TextgenrnnFiles

SHIPPED = Path(__file__).resolve().parents[2] / "generator" / "demo" / "model"
# Short lines keep each test to a fraction of a second on CPU.
SHORT_LINE_CHARS = 48


@pytest.fixture(scope="session")
def demo_aids() -> ModelAids:
    files = TextgenrnnFiles(
        weights=SHIPPED / "demo_weights.hdf5",
        vocab=SHIPPED / "demo_vocab.json",
        config=SHIPPED / "demo_config.json",
    )
    return ModelAids(
        sampler=Engine.from_files(files),
        corpus_index=CorpusLineIndex.load(SHIPPED / "demo_line_index.npz"),
        max_line_chars=SHORT_LINE_CHARS,
    )

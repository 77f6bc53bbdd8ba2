"""Shared pieces for the ML core's tests: tiny configs, the pretrained model, a real text."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.ml.config import ModelConfig
from generator.ml.weights import LoadedModel, load_pretrained

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The first 12,000 characters of tinyshakespeare (Shakespeare, public domain; the char-RNN
# benchmark text), kept here so these tests run on a clone without the shared data folder.
SHAKESPEARE = FIXTURES / "tinyshakespeare-head.txt"

# Small enough that an epoch over a few thousand windows takes about a second on one core.
TINY = ModelConfig(rnn_layers=2, rnn_size=16, max_length=10, dim_embeddings=8, name="tiny")


@pytest.fixture(scope="session")
def pretrained() -> LoadedModel:
    return load_pretrained()


@pytest.fixture(scope="session")
def shakespeare_texts() -> list[str]:
    """The first paragraphs of tinyshakespeare (one text per speech), a real small corpus."""
    text = SHAKESPEARE.read_text(encoding="utf-8")
    return [speech for speech in text.split("\n\n") if speech.strip()]

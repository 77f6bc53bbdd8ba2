"""Model versions for API tests: small textgenrnn trios written with the real exporter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator import serving
from generator.model_versions import ModelFiles, register_model_version
from generator.models import ModelVersion


@pytest.fixture(autouse=True)
def _fresh_model_cache() -> Iterator[None]:
    """Version ids repeat across rolled-back tests: never serve one test's model in another."""
    serving.clear_cache()
    yield
    serving.clear_cache()


@pytest.fixture
def make_version(tmp_path: Path, db: None) -> Callable[..., ModelVersion]:
    """Register a model version with the pretrained vocabulary and small random weights."""
    from generator.ml.config import ModelConfig
    from generator.ml.network import build_model
    from generator.ml.vocab import Vocabulary
    from generator.ml.weights import pretrained_files, save_textgenrnn

    def make(name: str, *, seed: int = 1, activate: bool = False) -> ModelVersion:
        config = ModelConfig(rnn_layers=1, rnn_size=16, dim_embeddings=8, max_length=10, name=name)
        vocabulary = Vocabulary.load(pretrained_files().vocab, word_level=False)
        model = build_model(config, vocabulary.num_classes, seed=seed)
        files = save_textgenrnn(
            model, vocabulary=vocabulary, config=config, directory=tmp_path / name
        )
        assert files.config is not None
        return register_model_version(
            name=name,
            files=ModelFiles(weights=files.weights, vocab=files.vocab, config=files.config),
            activate=activate,
        )

    return make

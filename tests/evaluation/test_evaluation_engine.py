"""The evaluation writes with the engine the API serves the model with (SERVING_ENGINE), so its
measures are those of the verses users get."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from generator.evaluation import evaluation_sampler
from generator.ml.engine import Engine
from generator.ml.sampling import Sampler
from generator.ml.weight_files import TextgenrnnFiles, pretrained_files
from generator.ml.weights import LoadedModel, load_textgenrnn

Pretrained = tuple[TextgenrnnFiles, LoadedModel]


@pytest.fixture(scope="module")
def pretrained() -> Pretrained:
    files = pretrained_files()
    return files, load_textgenrnn(files)


@pytest.mark.parametrize("engine", ["xla", "numpy"])
def test_the_evaluation_uses_the_exact_engine_the_api_serves_with(
    pretrained: Pretrained, engine: str, tmp_path: Path
) -> None:
    files, loaded = pretrained
    with override_settings(SERVING_ENGINE=engine, XLA_CACHE_DIR=str(tmp_path / "xla")):
        sampler = evaluation_sampler(files, loaded)
    assert isinstance(sampler, Engine)
    assert sampler.backend == engine


def test_where_the_api_serves_with_keras_so_does_the_evaluation(pretrained: Pretrained) -> None:
    files, loaded = pretrained
    with override_settings(SERVING_ENGINE="keras"):
        sampler = evaluation_sampler(files, loaded)
    assert isinstance(sampler, Sampler)
    assert sampler.model is loaded.model

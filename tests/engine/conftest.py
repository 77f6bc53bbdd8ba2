"""Small models for the engine's tests: a random tiny one, and one that memorised a tiny corpus."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from generator.ml.config import ModelConfig
from generator.ml.dataset import make_windows
from generator.ml.network import build_model
from generator.ml.originality import CorpusLineIndex
from generator.ml.sampling import Sampler
from generator.ml.vocab import Vocabulary

# Written for these tests.
TINY_CORPUS: tuple[str, ...] = (
    "Cold light on the corner\nI keep my pockets warmer\n"
    "Steady hands and a quiet mind\nLeave the noisy days behind",
    "Paper planes above the river\nEvery promise I deliver\n"
    "Count the stars until the morning\nNever heed the early warning",
)
TINY_CONFIG = ModelConfig(rnn_layers=1, rnn_size=64, max_length=12, dim_embeddings=16, name="tiny")


@pytest.fixture(scope="session")
def tiny_vocabulary() -> Vocabulary:
    return Vocabulary.build(TINY_CORPUS)


@pytest.fixture(scope="session")
def random_sampler(tiny_vocabulary: Vocabulary) -> Sampler:
    """An untrained two-layer model: its probabilities are spread, which sampling tests want."""
    keras.utils.set_random_seed(3)
    config = ModelConfig(rnn_layers=2, rnn_size=16, max_length=10, dim_embeddings=8, name="rand")
    model = build_model(config, tiny_vocabulary.num_classes)
    return Sampler(model=model, vocabulary=tiny_vocabulary, config=config)


@pytest.fixture(scope="session")
def memorised_sampler(tiny_vocabulary: Vocabulary) -> Sampler:
    """A model trained (a few seconds) until it recites TINY_CORPUS."""
    keras.utils.set_random_seed(11)
    model = build_model(TINY_CONFIG, tiny_vocabulary.num_classes)
    windows = make_windows(list(TINY_CORPUS), vocabulary=tiny_vocabulary, config=TINY_CONFIG)
    model.compile(optimizer=keras.optimizers.Adam(0.03), loss="sparse_categorical_crossentropy")
    # One epoch over the windows repeated 160 times, full batches: Keras' per-epoch overhead
    # would otherwise dominate such a small model.
    repeats = 160
    model.fit(
        np.tile(windows.inputs, (repeats, 1)),
        np.tile(windows.targets, repeats),
        batch_size=len(windows),
        epochs=1,
        verbose=0,
        shuffle=False,
    )
    return Sampler(model=model, vocabulary=tiny_vocabulary, config=TINY_CONFIG)


@pytest.fixture(scope="session")
def tiny_corpus_index() -> CorpusLineIndex:
    return CorpusLineIndex.from_texts(TINY_CORPUS)


def greedy_reference(sampler: Sampler, context: list[int], steps: int) -> list[int]:
    """textgenrnn's loop, one model call per token, taking the most likely non-padding class."""
    tokens = list(context)
    generated: list[int] = []
    length = sampler.config.max_length
    for _ in range(steps):
        window = np.zeros((1, length), dtype=np.int32)
        tail = tokens[-length:]
        window[0, length - len(tail) :] = tail
        probabilities = np.asarray(sampler.model(window, training=False))[0]
        token = int(np.argmax(probabilities[1:])) + 1
        generated.append(token)
        tokens.append(token)
        if token == sampler.end_id:
            break
    return generated

"""The GPU benchmark's compiled sampling loop steps the engine as the website does (run on CPU).

Its arithmetic is the product's compiled step (generator/ml/engine_xla.py), held to the Keras
re-run and the NumPy engine by tests/engine; here the loop around it (first window, phases,
restarts past a whole window) is checked against the NumPy engine, drawing greedily."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")

from bench._jax_engine import make_sampler
from generator.ml.engine import Engine

TEXT = (Path(__file__).parents[1] / "ml" / "fixtures" / "tinyshakespeare-head.txt").read_text()


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.pretrained(backend="numpy")


def _contexts(engine: Engine, count: int, length: int) -> list[list[int]]:
    ids = [engine.vocabulary.token_to_id.get(char, 1) for char in TEXT[:4000]]
    return [ids[n * 97 : n * 97 + length] for n in range(count)]


def _padded(contexts: list[list[int]], window: int) -> np.ndarray:
    padded = np.zeros((len(contexts), window), dtype=np.int32)
    for row, context in enumerate(contexts):
        tail = context[-window:]
        padded[row, window - len(tail) :] = tail
    return padded


def _greedy_numpy(engine: Engine, contexts: list[list[int]], chars: int) -> np.ndarray:
    states = engine.stepper.start(contexts)
    drawn = []
    for _ in range(chars):
        probabilities = engine.stepper.probabilities(states)
        tokens = probabilities[:, 1:].argmax(axis=1) + 1  # id 0 (padding) is never drawn
        drawn.append(tokens)
        engine.stepper.advance(states, tokens.astype(np.int64))
    return np.stack(drawn, axis=1)


@pytest.mark.parametrize("length", [12, 55])
def test_drawing_greedily_it_writes_what_the_numpy_engine_writes(engine: Engine, length: int):
    import jax

    contexts = _contexts(engine, 3, length)
    chars = 50  # past one whole window: every window restarted at least once
    sampler = make_sampler(engine.network, chars=chars, temperature=1e-4)
    ours = np.asarray(sampler(_padded(contexts, engine.network.window), jax.random.key(0)))
    np.testing.assert_array_equal(ours, _greedy_numpy(engine, contexts, chars))


def test_the_compiled_sampler_draws_known_tokens_for_every_stream(engine: Engine):
    import jax

    context = np.zeros((3, engine.network.window), dtype=np.int32)
    context[:, -1] = engine.end_id
    tokens = np.asarray(
        make_sampler(engine.network, chars=20, temperature=0.7)(context, jax.random.key(0))
    )
    assert tokens.shape == (3, 20)
    assert ((tokens > 0) & (tokens < engine.network.num_classes)).all()

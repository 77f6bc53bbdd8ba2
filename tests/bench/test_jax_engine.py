"""The GPU benchmark's JAX stepping engine computes the NumPy engine's numbers (run on CPU)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")

from bench._jax_engine import JaxNetwork, advance, make_sampler, probabilities, start
from generator.ml.engine import Engine

TEXT = (Path(__file__).parents[1] / "ml" / "fixtures" / "tinyshakespeare-head.txt").read_text()


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.pretrained()


def _contexts(engine: Engine, count: int, length: int) -> list[list[int]]:
    ids = [engine.vocabulary.token_to_id.get(char, 1) for char in TEXT[:4000]]
    return [ids[n * 97 : n * 97 + length] for n in range(count)]


def _padded(contexts: list[list[int]], window: int) -> np.ndarray:
    padded = np.zeros((len(contexts), window), dtype=np.int32)
    for row, context in enumerate(contexts):
        tail = context[-window:]
        padded[row, window - len(tail) :] = tail
    return padded


@pytest.mark.parametrize("length", [12, 40, 55])
def test_it_reads_the_numpy_engines_distribution_after_a_context(engine: Engine, length: int):
    contexts = _contexts(engine, 6, length)
    net = JaxNetwork.from_arrays(engine.network)
    ours = np.asarray(probabilities(net, start(net, _padded(contexts, net.window)), 0))
    np.testing.assert_allclose(ours, engine.next_probabilities(contexts), atol=1e-5)


def test_it_keeps_matching_the_numpy_engine_as_tokens_are_fed(engine: Engine):
    contexts = _contexts(engine, 4, 40)
    follow = _contexts(engine, 4, 90)
    net = JaxNetwork.from_arrays(engine.network)
    state = start(net, _padded(contexts, net.window))
    numpy_states = engine.stepper.start(contexts)
    for step in range(50):  # past one whole window: every window restarted at least once
        tokens = np.array([row[40 + step] for row in follow], dtype=np.int32)
        state = advance(net, state, step % net.window, tokens)
        engine.stepper.advance(numpy_states, tokens.astype(np.int64))
    ours = np.asarray(probabilities(net, state, 50 % net.window))
    np.testing.assert_allclose(ours, engine.stepper.probabilities(numpy_states), atol=1e-5)


def test_the_compiled_sampler_draws_known_tokens_for_every_stream(engine: Engine):
    import jax

    net = JaxNetwork.from_arrays(engine.network)
    context = np.zeros((3, net.window), dtype=np.int32)
    context[:, -1] = engine.end_id
    tokens = np.asarray(
        make_sampler(net, chars=20, temperature=0.7)(start(net, context), jax.random.key(0))
    )
    assert tokens.shape == (3, 20)
    assert ((tokens > 0) & (tokens < engine.network.num_classes)).all()

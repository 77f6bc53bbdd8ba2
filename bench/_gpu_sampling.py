"""Sampling entries for bench/_gpu_throughput.py: each takes (model, files, vocabulary, config,
streams, chars) and returns (characters written, seconds) for `streams` streams of `chars`
characters, timed after one untimed call of the same shape (compilation).

`model` is the Keras model; `files` the same weights saved as a textgenrnn trio (weights,
vocab, config paths), for an engine that reads files. To time another engine, add a function
here (or anywhere importable) and pass `--sampler module:function` to bench/gpu.sh.
"""

from __future__ import annotations

import time
from typing import Any


def keras_sampler(
    *, model: Any, files: Any, vocabulary: Any, config: Any, streams: int, chars: int
) -> tuple[int, float]:
    """generator.ml.sampling.Sampler: the compiled Keras loop, all streams in one batch."""
    from generator.ml.sampling import MAX_STREAMS, Sampler, SamplingControls, StreamRequest

    sampler = Sampler(model=model, vocabulary=vocabulary, config=config)
    controls = SamplingControls.of(temperature=0.7, max_chars=chars)
    context = sampler.context_for(_empty_prefix(vocabulary))
    requests = [
        StreamRequest(context_ids=context, seed=seed, controls=controls) for seed in range(streams)
    ]
    # The Keras sampler takes at most MAX_STREAMS streams a call: larger counts run in chunks.
    chunks = [requests[i : i + MAX_STREAMS] for i in range(0, len(requests), MAX_STREAMS)]
    sampler.generate_streams(chunks[0])  # compiles this batch shape
    started = time.perf_counter()
    outputs = [output for chunk in chunks for output in sampler.generate_streams(chunk)]
    seconds = time.perf_counter() - started
    return sum(len(output.token_ids) for output in outputs), seconds


def _empty_prefix(vocabulary: Any) -> Any:
    from generator.ml.sampling import prepare_prefix

    return prepare_prefix("", vocabulary)


def jax_engine_sampler(
    *, model: Any, files: Any, vocabulary: Any, config: Any, streams: int, chars: int
) -> tuple[int, float]:
    """The exact one-step engine (generator/ml/engine.py) as one compiled JAX loop
    (bench/_jax_engine.py): all streams step together from the start token."""
    import jax
    import numpy as np

    from bench._jax_engine import make_sampler
    from generator.ml.engine import Engine

    engine = Engine.from_files(files)
    context = np.zeros((streams, engine.network.window), dtype=np.int32)
    context[:, -1] = engine.end_id
    sampler = make_sampler(engine.network, chars=chars, temperature=0.7)
    sampler(context, jax.random.key(0)).block_until_ready()  # compiles this batch shape
    started = time.perf_counter()
    sampler(context, jax.random.key(1)).block_until_ready()
    return streams * chars, time.perf_counter() - started

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
    from generator.ml.sampling import Sampler, SamplingControls, StreamRequest

    sampler = Sampler(model=model, vocabulary=vocabulary, config=config)
    controls = SamplingControls.of(temperature=0.7, max_chars=chars)
    context = sampler.context_for(_empty_prefix(vocabulary))
    requests = [
        StreamRequest(context_ids=context, seed=seed, controls=controls) for seed in range(streams)
    ]
    sampler.generate_streams(requests)  # compiles this batch shape
    started = time.perf_counter()
    outputs = sampler.generate_streams(requests)
    seconds = time.perf_counter() - started
    return sum(len(output.token_ids) for output in outputs), seconds


def _empty_prefix(vocabulary: Any) -> Any:
    from generator.ml.sampling import prepare_prefix

    return prepare_prefix("", vocabulary)

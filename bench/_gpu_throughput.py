"""Training and sampling throughput on one accelerator, without Django: the table of bench/gpu.sh.

Training: trained characters/s (next tokens learned per second) of textgenrnn's 2x128 network
(100-dim embeddings, 40-token windows, 465 classes like the pretrained one), for the `last`
objective (one character per window) and `all-positions` (the default stride, and stride 40:
every position), at each batch size. The text is the tinyshakespeare head shipped in
tests/ml/fixtures (12,000 characters), its windows repeated to fill --batches batches; a first
pass over two batches compiles the step and is not timed.

Sampling: characters/s of one stream and of --streams streams, --chars characters each, through
each sampler named by --sampler (`module:function`; default: the Keras window re-run,
`bench._gpu_sampling:keras_sampler`, then the exact one-step engine in JAX, `jax_engine_sampler`):
a function taking (model, files, vocabulary, config, streams, chars) and returning (characters
written, seconds), so the same table can time another engine. The end token's output bias is
lowered first so every stream writes all its characters.

    KERAS_BACKEND=jax python bench/_gpu_throughput.py --batch-sizes 1024 4096
    KERAS_BACKEND=jax python bench/_gpu_throughput.py --tiny     # seconds, on a CPU (tests)
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

TEXT = REPO_ROOT / "tests" / "ml" / "fixtures" / "tinyshakespeare-head.txt"
PRETRAINED_CLASSES = 465  # textgenrnn's pretrained vocabulary (464 tokens) + padding
DEFAULT_SAMPLERS = [
    "bench._gpu_sampling:keras_sampler",
    "bench._gpu_sampling:jax_engine_sampler",
]


def _vocabulary(lines: list[str], classes: int) -> Any:
    """The text's characters, filled up with unused tokens to `classes` - 1 tokens."""
    from generator.ml.vocab import Vocabulary

    built = Vocabulary.build(lines)
    tokens = dict(built.token_to_id)
    filler = 0x4E00  # CJK ideographs: never in the text
    while len(tokens) < classes - 1:
        tokens.setdefault(chr(filler), len(tokens) + 1)
        filler += 1
    return Vocabulary(token_to_id=tokens)


def measure_training(
    *,
    objective: str,
    batch_size: int,
    batches: int,
    stride: int | None,
    config: Any,
    classes: int,
) -> dict[str, Any]:
    from generator.ml.dataset import Windows
    from generator.ml.fit import (
        TrainingConfig,
        new_model,
        start_training,
        train_one_epoch,
        training_windows,
    )

    lines = [line for line in TEXT.read_text(encoding="utf-8").split("\n") if line]
    vocabulary = _vocabulary(lines, classes)
    training = TrainingConfig(
        epochs=1,
        batch_size=batch_size,
        validation_split=0.0,
        objective=objective,  # type: ignore[arg-type]
        stride=stride,
    )
    windows = training_windows(lines, vocabulary=vocabulary, config=config, training=training)
    per_window = windows.target_count / len(windows)
    repeat = -(-batches * batch_size // len(windows))
    inputs = np.tile(windows.inputs, (repeat, 1))[: batches * batch_size]
    targets = np.tile(windows.targets, (repeat,) + (1,) * (windows.targets.ndim - 1))
    timed = Windows(inputs=inputs, targets=targets[: batches * batch_size])
    warm = Windows(inputs=inputs[: 2 * batch_size], targets=timed.targets[: 2 * batch_size])

    state = start_training(
        new_model(config, vocabulary, training=training),
        vocabulary=vocabulary,
        config=config,
        training=training,
    )
    train_one_epoch(state, warm)  # compiles the step
    state.batches_done = 0
    loss, trained, seconds = train_one_epoch(state, timed)
    windows_per_second = trained / seconds
    return {
        "objective": objective,
        "stride": training.stride_for(config) if training.all_positions else None,
        "batch_size": batch_size,
        "windows_per_second": windows_per_second,
        "characters_per_second": windows_per_second * per_window,
        "loss": loss,
    }


def load_sampler(spec: str) -> Callable[..., tuple[int, float]]:
    module_name, _, function_name = spec.partition(":")
    function: Callable[..., tuple[int, float]] = getattr(
        importlib.import_module(module_name), function_name
    )
    return function


def measure_sampling(
    *, sampler: str, streams: int, chars: int, config: Any, classes: int
) -> dict[str, Any]:
    from generator.ml.network import build_model
    from generator.ml.weights import save_textgenrnn

    lines = [line for line in TEXT.read_text(encoding="utf-8").split("\n") if line]
    vocabulary = _vocabulary(lines, classes)
    model = build_model(config, vocabulary.num_classes)
    output = model.get_layer("output")
    kernel, bias = output.get_weights()
    bias[vocabulary.end_id] = -50.0  # never end early: every stream writes `chars`
    output.set_weights([kernel, bias])
    with tempfile.TemporaryDirectory() as directory:
        files = save_textgenrnn(
            model, vocabulary=vocabulary, config=config, directory=Path(directory), name="bench"
        )
        written, seconds = load_sampler(sampler)(
            model=model,
            files=files,
            vocabulary=vocabulary,
            config=config,
            streams=streams,
            chars=chars,
        )
    return {
        "sampler": sampler,
        "streams": streams,
        "characters_per_second": written / seconds,
        "characters_per_second_per_stream": written / seconds / streams,
    }


def print_table(training: list[dict[str, Any]], sampling: list[dict[str, Any]]) -> None:
    print(f"{'measure':<58} {'chars/s':>14} {'windows/s':>12}")
    for row in training:
        stride = f", stride {row['stride']}" if row["stride"] else ""
        label = f"train {row['objective']}{stride}, batch {row['batch_size']}"
        print(
            f"{label:<58} {row['characters_per_second']:>14,.0f} "
            f"{row['windows_per_second']:>12,.0f}"
        )
    for row in sampling:
        name = row["sampler"].rpartition(":")[2]
        label = f"sample {name}, {row['streams']} stream(s): total / per stream"
        print(
            f"{label:<58} {row['characters_per_second']:>14,.0f} "
            f"{row['characters_per_second_per_stream']:>12,.1f}"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--batches", type=int, default=30, help="timed batches per measure")
    parser.add_argument("--streams", type=int, default=4096)
    parser.add_argument("--chars", type=int, default=200, help="characters per stream")
    parser.add_argument("--sampler", nargs="+", default=DEFAULT_SAMPLERS)
    parser.add_argument("--skip-sampling", action="store_true")
    parser.add_argument("--tiny", action="store_true", help="a tiny network, for a CPU check")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    import keras

    from generator.ml.config import ModelConfig

    config, classes = ModelConfig(), PRETRAINED_CLASSES
    if args.tiny:
        config = replace(config, rnn_size=8, dim_embeddings=4, max_length=10, name="tiny")
    devices = [str(d) for d in keras.distribution.list_devices()]
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, devices {devices}")
    training = [
        measure_training(
            objective=objective,
            batch_size=batch_size,
            batches=args.batches,
            stride=stride,
            config=config,
            classes=classes,
        )
        for batch_size in args.batch_sizes
        for objective, stride in (("last", None), ("all-positions", None))
    ]
    training.append(
        measure_training(
            objective="all-positions",
            batch_size=max(args.batch_sizes),
            batches=args.batches,
            stride=config.max_length,
            config=config,
            classes=classes,
        )
    )
    sampling = []
    if not args.skip_sampling:
        sampling = [
            measure_sampling(
                sampler=sampler, streams=streams, chars=args.chars, config=config,
                classes=classes,
            )
            for sampler in args.sampler
            for streams in (1, args.streams)
        ]  # fmt: skip
    print_table(training, sampling)
    results = {"devices": devices, "training": training, "sampling": sampling}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()

"""Time to quality: wall seconds of training until the held-out loss reaches textgenrnn's.

For each corpus (the demo corpus, and the first --shakespeare-chars characters of
tinyshakespeare), fine-tuning textgenrnn's pretrained network:
1. the verses (paragraphs) are split into training and held-out ones (split_corpus, 10%, seed
   0), and each side into lines (one text per line, as textgenrnn's train_from_file reads);
2. textgenrnn itself trains on the training lines for --epochs (its reference venv, batch 128,
   its linear learning-rate decay over those epochs); its held-out loss after the last epoch is
   the TARGET (textgenrnn's own default is 50 epochs; 5 keeps a run to minutes on a shared
   2-core machine, see docs/benchmarks.md);
3. ours trains with the `last` objective (textgenrnn's) and with `all-positions`, each from the
   pretrained network, each stopping at the first epoch whose held-out loss reaches the target
   (or after --epochs, or --max-seconds of training); their result is the weights' moving
   average, the product's default (`--weight-average 0`: the trained weights, as in runs 1-24).
The held-out loss is always textgenrnn's: the last-position cross-entropy on the held-out lines'
windows, scored after every epoch. "Seconds" are training seconds (scoring is not counted), from
the first batch, compilation included. The curves go to docs/time_to_quality.png.

    .venv/bin/python bench/time_to_quality.py                   # both corpora (minutes)
    .venv/bin/python bench/time_to_quality.py --corpus demo --epochs 5
    .venv/bin/python bench/time_to_quality.py --repeats 3       # 3 whole measurements, a summary

textgenrnn is not seeded, so its target moves from run to run (docs/benchmarks.md); --repeats N
measures everything N times over and ends with how many measurements met the issue's targets
(5x textgenrnn, 2x our `last`), with the lowest and the median ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
from bench._png_plot import Panel, Series, render, write_png  # noqa: E402
from generator.ml.config import (  # noqa: E402  (free of Keras and Django)
    DEFAULT_BATCH_SIZES,
    DEFAULT_WEIGHT_AVERAGE,
    is_weight_average_choice,
)

SHAKESPEARE = Path(
    os.environ.get(
        "RAPLYRICS_BENCH_CORPUS", REPO_ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
    )
)
DEMO = REPO_ROOT / "generator" / "demo" / "corpus.txt"
REFERENCE_VENV = Path(os.environ.get("TEXTGENRNN_REF_VENV", REPO_ROOT / ".venv-textgenrnn"))
CHART = REPO_ROOT / "docs" / "time_to_quality.png"
COLOURS = {"textgenrnn": (200, 40, 40), "last": (40, 90, 200), "all-positions": (30, 150, 60)}


def corpus_split(
    name: str, shakespeare_chars: int, *, offset: int = 0, seed: int = 0
) -> tuple[list[str], list[str], str]:
    """(training lines, held-out lines, description) of a corpus: the demo corpus, or
    `shakespeare_chars` characters of tinyshakespeare from `offset`; held out with `seed`."""
    # The split is the training service's (a Django package, though this module is not).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raplyrics.settings")
    import django

    django.setup()
    from generator.training.corpus_text import split_corpus, split_verses

    if name == "demo":
        text = DEMO.read_text(encoding="utf-8")
        what = f"demo corpus ({len(text):,} characters)"
    else:
        text = SHAKESPEARE.read_text(encoding="utf-8")[offset : offset + shakespeare_chars]
        where = f"from {offset:,}" if offset else "first"
        what = f"tinyshakespeare, {where} {len(text):,} characters"
    split = split_corpus(split_verses(text), validation_split=0.1, seed=seed)
    return split.train_lines, split.validation_lines, what


def run_textgenrnn(
    train_lines: list[str], held_out: Any, *, epochs: int, batch_size: int
) -> dict[str, Any]:
    python = REFERENCE_VENV / "bin" / "python"
    if not python.exists():
        raise SystemExit(
            f"no reference venv at {REFERENCE_VENV}: run bench/textgenrnn_ref/make_venv.sh"
        )
    script = REPO_ROOT / "bench" / "textgenrnn_ref" / "train_curve.py"
    with tempfile.TemporaryDirectory() as work:
        train_file = Path(work) / "train.txt"
        train_file.write_text("\n".join(train_lines) + "\n", encoding="utf-8")
        held_out_file = Path(work) / "held_out.npz"
        np.savez(held_out_file, inputs=held_out.inputs, targets=held_out.targets)
        out = Path(work) / "result.json"
        subprocess.run(
            [str(python), str(script), str(train_file), str(held_out_file),
             "--epochs", str(epochs), "--batch-size", str(batch_size), "--json", str(out)],
            cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        result: dict[str, Any] = json.loads(out.read_text())
    return result


def run_ours(
    train_lines: list[str],
    held_out: Any,
    *,
    objective: str,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    target: float,
    max_seconds: float,
    stride: int | None = None,
    backprop_steps: int | None = None,
    stop_after_epochs: int | None = None,
    weight_average: float | None = DEFAULT_WEIGHT_AVERAGE,
) -> dict[str, Any]:
    from generator.ml.config import ModelConfig
    from generator.ml.dataset import DatasetSplit
    from generator.ml.fit import (
        EpochReport,
        StopFlag,
        TrainingConfig,
        fit,
        initial_state,
        training_windows,
        validation_loss,
    )

    training = TrainingConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        objective=objective,  # type: ignore[arg-type]
        stride=stride if objective == "all-positions" else None,
        backprop_steps=backprop_steps,
        weight_average=weight_average,
    )
    # The product's start of a run (fit.initial_state): the pretrained network, and the
    # run's loop unrolled or not as its planned windows decide (backend.unroll_for_training).
    state = initial_state(ModelConfig(), training, from_pretrained=True, texts=train_lines)
    train = training_windows(
        train_lines, vocabulary=state.vocabulary, config=state.config, training=state.training
    )
    initial = validation_loss(state, held_out)
    stop = StopFlag()
    rows: list[dict[str, float]] = []
    started = time.perf_counter()

    def after_epoch(report: EpochReport) -> None:
        metrics = report.metrics
        if metrics is None:
            return
        assert metrics.validation_loss is not None
        rows.append({"seconds": metrics.seconds, "held_out_loss": metrics.validation_loss})
        if metrics.validation_loss <= target or len(rows) == stop_after_epochs:
            stop.request()

    def watch_clock(done: int, total: int) -> None:
        if time.perf_counter() - started > max_seconds:
            stop.request()

    with tempfile.TemporaryDirectory() as checkpoints:
        fit(
            state,
            DatasetSplit(train=train, validation=held_out),
            checkpoint_dir=Path(checkpoints),
            on_epoch_end=after_epoch,
            stop=stop,
            on_batch=watch_clock,
        )
    return {
        "implementation": f"ours, {objective}, batch {batch_size}, lr {learning_rate}"
        + (f", stride {training.stride_for(state.config)}" if training.all_positions else "")
        + (", unrolled" if state.training.unroll else ", rolled")
        + (f", averaged {weight_average}" if weight_average else ""),
        "windows_per_epoch": len(train),
        "targets_per_epoch": train.target_count,
        "initial_held_out_loss": initial,
        "epochs": rows,
    }


def weight_average_option(text: str) -> float | None:
    """--weight-average: a momentum below 1 for our runs' weight average, 0 for none."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not is_weight_average_choice(value):
        raise argparse.ArgumentTypeError(f"0 (no average) or a momentum below 1, got {text}")
    return value or None


def positive_int(text: str) -> int:
    """--repeats: a whole number of measurements, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"at least 1, got {text}")
    return value


def curve(result: dict[str, Any]) -> list[tuple[float, float]]:
    """(cumulative training seconds, held-out loss), starting at (0, the pretrained's loss)."""
    points = [(0.0, float(result["initial_held_out_loss"]))]
    elapsed = 0.0
    for row in result["epochs"]:
        elapsed += row["seconds"]
        points.append((elapsed, row["held_out_loss"]))
    return points


def seconds_to(points: list[tuple[float, float]], target: float) -> float | None:
    return next((seconds for seconds, loss in points[1:] if loss <= target), None)


def measure_corpus(name: str, args: argparse.Namespace) -> dict[str, Any]:
    from generator.ml.dataset import make_windows
    from generator.ml.weights import load_pretrained

    train_lines, held_out_lines, what = corpus_split(name, args.shakespeare_chars)
    pretrained = load_pretrained()
    held_out = make_windows(
        held_out_lines, vocabulary=pretrained.vocabulary, config=pretrained.config
    )
    print(
        f"{what}: {len(train_lines):,} training lines, {len(held_out_lines):,} held-out lines "
        f"({len(held_out):,} windows)",
        flush=True,
    )
    runs: dict[str, Any] = {
        "textgenrnn": run_textgenrnn(
            train_lines, held_out, epochs=args.epochs, batch_size=args.batch_size
        )
    }
    target = runs["textgenrnn"]["epochs"][-1]["held_out_loss"]
    print(f"  textgenrnn done; target held-out loss {target:.4f}", flush=True)
    for objective, batch_size, learning_rate in (
        ("last", args.batch_size, args.learning_rate),
        ("all-positions", args.all_positions_batch_size, args.all_positions_learning_rate),
    ):
        runs[objective] = run_ours(
            train_lines,
            held_out,
            objective=objective,
            epochs=args.epochs if objective == "last" else args.all_positions_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            target=target,
            max_seconds=args.max_seconds,
            stride=args.stride,
            weight_average=args.weight_average,
        )
        print(f"  {objective} done", flush=True)
    curves = {key: curve(result) for key, result in runs.items()}
    reached = {key: seconds_to(points, target) for key, points in curves.items()}
    return {
        "corpus": what,
        "train_lines": len(train_lines),
        "held_out_lines": len(held_out_lines),
        "held_out_windows": len(held_out),
        "target_held_out_loss": target,
        "runs": runs,
        "curves": curves,
        "seconds_to_target": reached,
        "best_held_out_loss": {key: min(loss for _, loss in c) for key, c in curves.items()},
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"\n{result['corpus']}: target held-out loss {result['target_held_out_loss']:.4f}")
    print(f"{'run':<80} {'s to target':>12} {'best loss':>10} {'speed-up':>9}")
    reached = result["seconds_to_target"]
    baseline = reached["textgenrnn"]
    for key, run in result["runs"].items():
        seconds = reached[key]
        shown = f"{seconds:,.1f}" if seconds is not None else "not reached"
        ratio = f"{baseline / seconds:.1f}x" if seconds and baseline else "-"
        best = result["best_held_out_loss"][key]
        print(f"{run['implementation'][:80]:<80} {shown:>12} {best:>10.4f} {ratio:>9}")
    _, over_last = speed_ups(result)
    if over_last is not None:
        print(f"all-positions vs last: {over_last:.1f}x")


def speed_ups(result: dict[str, Any]) -> tuple[float | None, float | None]:
    """All-positions' speed-up over textgenrnn and over our `last` in one measurement of one
    corpus (None where either side never reached the target)."""
    reached = result["seconds_to_target"]
    ours = reached["all-positions"]

    def ratio(other: float | None) -> float | None:
        return other / ours if ours and other else None

    return ratio(reached["textgenrnn"]), ratio(reached["last"])


# Issue 16's targets for all-positions, in `speed_ups` order: 5x textgenrnn, 2x our `last`.
TARGETS = (("textgenrnn", 5.0), ("last", 2.0))


def summary(repeats: list[list[dict[str, Any]]]) -> list[str]:
    """One line per corpus over every measurement: how many met each target (a run that never
    reached the target misses it), the lowest and the median speed-up."""
    lines = []
    for index, first in enumerate(repeats[0]):
        ratios = [speed_ups(results[index]) for results in repeats]
        parts = []
        for column, (label, target) in enumerate(TARGETS):
            known = sorted(v for v in (r[column] for r in ratios) if v is not None)
            met = sum(1 for v in known if v >= target)
            spread = (
                f"lowest {known[0]:.1f}x, median {statistics.median(known):.1f}x"
                if known
                else "never reached"
            )
            parts.append(f"{target:g}x {label} in {met} of {len(ratios)} ({spread})")
        lines.append(f"{first['corpus']}: " + "; ".join(parts))
    return lines


def draw(results: list[dict[str, Any]], path: Path) -> None:
    panels = []
    for result in results:
        curves = result["curves"]
        longest = max(points[-1][0] for points in curves.values())
        losses = [loss for points in curves.values() for _, loss in points]
        low, high = min(losses), max(losses)
        pad = (high - low) * 0.05 or 0.05
        step = 60.0 if longest > 240 else 30.0
        panels.append(
            Panel(
                series=[Series(points, COLOURS[key]) for key, points in curves.items()],
                x_range=(0.0, longest * 1.02),
                y_range=(low - pad, high + pad),
                x_ticks=[step * i for i in range(1, int(longest // step) + 1)],
                y_ticks=[t / 10 for t in range(int(low * 10), int(high * 10) + 2)],
                dashed_y=[(result["target_held_out_loss"], (120, 120, 120))],
            )
        )
    write_png(render(panels), path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["demo", "shakespeare", "both"], default="both")
    parser.add_argument("--shakespeare-chars", type=int, default=30000)
    parser.add_argument("--epochs", type=int, default=5, help="textgenrnn's (and last's) epochs")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=4e-3)
    parser.add_argument("--all-positions-epochs", type=int, default=6)
    parser.add_argument(
        "--all-positions-batch-size", type=int, default=DEFAULT_BATCH_SIZES["all-positions"]
    )
    parser.add_argument("--stride", type=int, help="all-positions (default: TrainingConfig's)")
    parser.add_argument("--all-positions-learning-rate", type=float, default=4e-3)
    parser.add_argument("--max-seconds", type=float, default=600, help="per run of ours")
    parser.add_argument(
        "--weight-average",
        type=weight_average_option,
        default=DEFAULT_WEIGHT_AVERAGE,
        help=f"our runs' weight average (default {DEFAULT_WEIGHT_AVERAGE}; 0: none, as runs 1-24)",
    )
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=1,
        help="measure everything this many times (textgenrnn is unseeded), then summarise",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--chart", type=Path, default=CHART)
    args = parser.parse_args()

    from generator.ml.backend import configure_cpu_threads

    # The thread pools `manage.py train` uses (RAPLYRICS_TRAINING_* defaults).
    configure_cpu_threads(intra_op=1, inter_op=0)
    names = ["demo", "shakespeare"] if args.corpus == "both" else [args.corpus]
    load_before = os.getloadavg()
    repeats = []
    for repeat in range(args.repeats):
        if args.repeats > 1:
            print(f"\nmeasurement {repeat + 1} of {args.repeats}", flush=True)
        results = [measure_corpus(name, args) for name in names]
        for result in results:
            print_table(result)
        repeats.append(results)
    if args.repeats > 1:
        print(f"\nover {args.repeats} measurements, all-positions against each:")
        print("\n".join(summary(repeats)))
    print(f"\nload average before {load_before}, after {os.getloadavg()}; {platform.node()}")
    draw(repeats[0], args.chart)
    print(f"curves: {args.chart} (the first measurement's)")
    if args.json:
        recorded = {
            "args": {k: str(v) for k, v in vars(args).items()},
            "results": repeats[0],
            "repeats": repeats,
        }
        args.json.write_text(json.dumps(recorded, indent=1))


if __name__ == "__main__":
    main()

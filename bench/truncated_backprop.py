"""All-positions training with the LSTMs' backward pass cut short, against the whole window's.

An all-positions window (45 tokens at stride 10) teaches its last 10 positions; the others are
context. With `TrainingConfig.backprop_steps` (`--backprop-steps`; the default is the whole
window, docs/quality.md says why) the training model backpropagates through the window's last
steps only and runs the earlier ones forward only. This trains line models (as
bench/time_to_quality.py does; verse models are judged on the quality scoreboard) both ways
from textgenrnn's pretrained network on *tuning* corpora (other slices of tinyshakespeare and
other held-out splits of the demo corpus; never the splits bench/time_to_quality.py reports)
and prints, per corpus, the held-out loss after each epoch with the training seconds so far
(compilation included), then the mean difference in held-out loss by epoch and the median
ratio of seconds per epoch after the first (epochs without compilation). Same process, same
data, order and starting weights.

    .venv/bin/python -m bench.truncated_backprop                   # 9 corpora, 3 epochs (~4 min)
    .venv/bin/python -m bench.truncated_backprop --corpora ts@500000/2 demo/1 --steps 0 15 20
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
from bench.time_to_quality import corpus_split, run_ours  # noqa: E402
from generator.ml.config import DEFAULT_BATCH_SIZES  # noqa: E402

# name@offset/split seed: tinyshakespeare slices of --chars characters, and the demo corpus.
TUNING_CORPORA = (
    "ts@500000/2",
    "ts@200000/1",
    "ts@100000/3",
    "ts@300000/4",
    "ts@700000/5",
    "ts@900000/6",
    "demo/1",
    "demo/2",
    "demo/3",
)
WHOLE = 0  # --steps 0: backpropagate through the whole window


def parse_corpus(spec: str) -> tuple[str, int, int]:
    """("shakespeare" or "demo", offset, split seed) of a spec like ts@500000/2 or demo/1."""
    name, _, seed = spec.partition("/")
    name, _, offset = name.partition("@")
    if name not in ("ts", "demo") or not seed.isdigit() or (offset and not offset.isdigit()):
        raise SystemExit(f"a corpus is ts@OFFSET/SEED or demo/SEED, got {spec!r}")
    if seed == "0" and not offset.strip("0"):
        raise SystemExit(f"{spec} is a reported split (time_to_quality's): tune on another")
    return ("demo" if name == "demo" else "shakespeare", int(offset or 0), int(seed))


def per_epoch_after_first(run: dict[str, Any]) -> float | None:
    later = [row["seconds"] for row in run["epochs"][1:]]
    return statistics.median(later) if later else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", nargs="+", default=list(TUNING_CORPORA))
    parser.add_argument("--chars", type=int, default=30_000, help="tinyshakespeare's")
    parser.add_argument(
        "--steps",
        type=int,
        nargs="+",
        default=[WHOLE, 20],
        help="backprop steps to compare, 0 for the whole window (the first is the baseline)",
    )
    parser.add_argument("--epochs", type=int, default=3, help="epochs trained (of --planned)")
    parser.add_argument("--planned", type=int, default=6, help="the learning rate's decay")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    from generator.ml.backend import configure_cpu_threads
    from generator.ml.dataset import make_windows
    from generator.ml.weights import load_pretrained

    configure_cpu_threads(intra_op=1, inter_op=0)  # `manage.py train`'s pools
    pretrained = load_pretrained()
    load_before = os.getloadavg()
    results = []
    for spec in args.corpora:
        name, offset, seed = parse_corpus(spec)
        train_lines, held_out_lines, what = corpus_split(name, args.chars, offset=offset, seed=seed)
        held_out = make_windows(
            held_out_lines, vocabulary=pretrained.vocabulary, config=pretrained.config
        )
        runs = {}
        for steps in args.steps:
            run = run_ours(
                train_lines,
                held_out,
                objective="all-positions",
                epochs=args.planned,
                batch_size=DEFAULT_BATCH_SIZES["all-positions"],
                learning_rate=4e-3,
                target=float("-inf"),
                max_seconds=float("inf"),
                backprop_steps=steps or 10_000,  # over the window's length: nothing is cut
                stop_after_epochs=args.epochs,
            )
            runs[steps] = run
            print(f"{spec} ({what}), backprop steps {steps or 'all'}: " + _row(run), flush=True)
        results.append({"corpus": spec, "description": what, "runs": runs})
    _print_table(results, args.steps)
    print(f"\nload average before {load_before}, after {os.getloadavg()}; {platform.node()}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"args": vars(args) | {"json": str(args.json)}, "results": results},
                indent=1,
                default=str,
            )
        )


def _row(run: dict[str, Any]) -> str:
    elapsed, cells = 0.0, []
    for row in run["epochs"]:
        elapsed += row["seconds"]
        cells.append(f"{row['held_out_loss']:.4f} ({elapsed:.1f} s)")
    return ", ".join(cells)


def _print_table(results: list[dict[str, Any]], steps: list[int]) -> None:
    baseline = steps[0]
    print(f"\n{'corpus':<14} {'backprop':>8}  held-out loss by epoch (training seconds so far)")
    deltas: dict[int, list[list[float]]] = {s: [] for s in steps[1:]}
    speedups: dict[int, list[float]] = {s: [] for s in steps[1:]}
    for result in results:
        runs = result["runs"]
        for s in steps:
            print(f"{result['corpus']:<14} {s or 'all':>8}  {_row(runs[s])}")
        base_epoch = per_epoch_after_first(runs[baseline])
        for s in steps[1:]:
            losses = [r["held_out_loss"] for r in runs[s]["epochs"]]
            base = [r["held_out_loss"] for r in runs[baseline]["epochs"]]
            deltas[s].append([a - b for a, b in zip(losses, base, strict=True)])
            epoch = per_epoch_after_first(runs[s])
            if epoch and base_epoch:
                speedups[s].append(base_epoch / epoch)
    print()
    for s in steps[1:]:
        by_epoch = list(zip(*deltas[s], strict=True))
        mean = ", ".join(f"{statistics.mean(d):+.4f}" for d in by_epoch)
        spread = ", ".join(f"{min(d):+.4f}..{max(d):+.4f}" for d in by_epoch)
        print(
            f"backprop {s} against {baseline or 'all'}: held-out loss by epoch, mean {mean} "
            f"(range {spread}); epochs after the first {statistics.median(speedups[s]):.2f}x "
            f"faster (median over {len(speedups[s])} corpora)"
        )


if __name__ == "__main__":
    main()

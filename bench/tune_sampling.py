"""Pick the writer's default candidates and temperatures, judged by the evaluation's measures.

The chooser's weights stay as they are (bench/tune_chooser.py chose them); this grid asks what
more candidates buy (issue 17, item 4: spend the engine's speed) and whether hotter sampling,
whose broken words more candidates let the chooser reject, lifts distinct-2 (the missed
target). On the TUNING seeds (5000 onwards, never the reporting seeds 1000-1023), every point
writes the same verses with the API's writer and defaults but its candidates and temperatures,
and gets tune_chooser's miss score against the version's held-out verses (lower is better),
with the CPU seconds it took (in one process, one point after another: the ratios hold on a
shared machine).

    .venv/bin/python bench/tune_sampling.py --data-dir var [--model demo] [--verses 8]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

CANDIDATES = (4, 6, 8)
TEMPERATURES = ((0.5, 0.6, 0.7), (0.7, 0.8, 0.9), (0.9, 1.0, 1.1))


def run(
    *,
    model_name: str,
    verses: int,
    first_seed: int,
    candidate_counts: tuple[int, ...] = CANDIDATES,
    temperature_sets: tuple[tuple[float, ...], ...] = TEMPERATURES,
    unknown_weights: tuple[float | None, ...] = (None,),
) -> None:
    from bench.tune_chooser import TuningBench, miss_score
    from generator.ml.evaluation.writing import DEFAULT_RECIPE

    bench = TuningBench.load(model_name=model_name, verses=verses, first_seed=first_seed)
    version, corpus = bench.version, bench.corpus
    results = []
    points = itertools.product(candidate_counts, temperature_sets, unknown_weights)
    for candidates, temperatures, unknown in points:
        recipe = replace(DEFAULT_RECIPE, candidates=candidates, temperatures=temperatures)
        if unknown is not None:  # the chooser's weight of unknown words, tried here too
            recipe = replace(recipe, weights=replace(recipe.weights, unknown=unknown))
        cpu = time.process_time()
        row = bench.measure(recipe)
        seconds = time.process_time() - cpu
        label = f"{'/'.join(f'{t:g}' for t in temperatures)}" + (
            f", unknown {unknown:g}" if unknown is not None else ""
        )
        results.append((miss_score(row, corpus), candidates, label, row, seconds))
        print(f"{candidates} {label}: miss {results[-1][0]:.3f}", file=sys.stderr)
    print(f"model {version.name} (version {version.pk}), {verses} verses from seed {first_seed}")
    print(
        f"corpus: words/line {corpus['words_per_line']:.2f}, non-words "
        f"{corpus['non_word_share']:.1%}, rhyme density {corpus['rhyme_density']:.3f}, "
        f"distinct-2 {corpus['distinct_2']:.3f}\n"
    )
    print(
        "| candidates | temperatures | miss | words/line | under 3 words | non-words | "
        "rhyme density | distinct-2 | copied 6-grams | CPU s a verse |"
    )
    print("|" + " --- |" * 10)
    for miss, candidates, temperatures, row, seconds in sorted(results, key=lambda r: r[0]):
        print(
            f"| {candidates} | {temperatures} | {miss:.3f} | "
            f"{row['words_per_line']:.2f} | {row['short_line_share']:.1%} | "
            f"{row['non_word_share']:.1%} | {row['rhyme_density']:.3f} | "
            f"{row['distinct_2']:.3f} | {row['copied_ngram_share']:.1%} | "
            f"{seconds / verses:.2f} |"
        )


def main() -> None:
    from bench.quality import _use_data_dir
    from generator.ml.evaluation.report import TUNING_FIRST_SEED

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "var")
    parser.add_argument("--model", default="demo", help="The model version's name.")
    parser.add_argument("--verses", type=int, default=8)
    parser.add_argument("--seed", type=int, default=TUNING_FIRST_SEED)
    parser.add_argument("--candidates", type=int, nargs="+", default=list(CANDIDATES))
    parser.add_argument(
        "--temperatures",
        nargs="+",
        default=["/".join(f"{t:g}" for t in ts) for ts in TEMPERATURES],
        help="temperature sets, each like 0.5/0.6/0.7",
    )
    parser.add_argument(
        "--unknown-weights",
        type=float,
        nargs="+",
        help="also try these chooser weights of unknown words (default: the writer's only)",
    )
    args = parser.parse_args()
    if not (args.data_dir / "db.sqlite3").exists():
        raise SystemExit(f"no database in {args.data_dir}: run `make run` (or prepare it) first")
    _use_data_dir(args.data_dir.resolve())
    run(
        model_name=args.model,
        verses=args.verses,
        first_seed=args.seed,
        candidate_counts=tuple(args.candidates),
        temperature_sets=tuple(
            tuple(float(t) for t in spec.split("/")) for spec in args.temperatures
        ),
        unknown_weights=tuple(args.unknown_weights) if args.unknown_weights else (None,),
    )


if __name__ == "__main__":
    main()

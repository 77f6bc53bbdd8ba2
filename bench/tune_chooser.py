"""Pick the lyrics writer's chooser weights on a grid, judged by the evaluation's measures.

On a model version (the demo model by default) and on TUNING seeds (5000 onwards: never the
reporting seeds 1000-1023 of docs/quality.md), every point of the grid writes the same verses
with the API's writer and defaults but those weights, measures them against the version's
training verses (`measure_verses`, as `manage.py evaluate` does), and gets a miss score: how far
the verses are from the issue's targets, against the version's held-out verses (lower is better):

    |words/line / corpus's - 1|
    + max(0, lines under 3 words - corpus's share)
    + 10 * max(0, non-words - corpus's share)
    + max(0, 1.1 - rhyme density / corpus's)
    + max(0, 0.9 - distinct-2 / corpus's)
    + 10 * (copied lines + copied 6-grams)

It prints every point, the best first, as a markdown table for docs/quality.md.

    .venv/bin/python bench/tune_chooser.py [--data-dir var] [--model demo] [--verses 8]
        [--seed 5000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
# One BLAS thread: the engine steps small matrices, and on a shared machine more threads only
# fight over the cores (what gunicorn.conf.py sets for the workers too).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The grid: the weights the issue names, around 1 (each part is on a comparable scale: a
# standard deviation of length costs 0.5, a perfect rhyme earns 1, a nat of mean log-prob 1).
GRID: dict[str, tuple[float, ...]] = {
    "rhyme": (0.5, 1.0, 2.0),
    "fluency": (0.0, 0.5, 1.0),
    "unknown": (0.0, 0.5, 1.5),
    "repetition": (1.0, 3.0),
}
# Held at 1 (a first pass at 1.0 already met the words-per-line and short-line targets).
FIXED = {"length": 1.0, "broken": 1.0, "truncated": 1.0}
TUNING_FIRST_SEED = 5000


def miss_score(row: dict[str, Any], corpus: dict[str, Any]) -> float:
    """How far a row is from the issue's targets (module docstring); 0 meets them all."""
    return (
        abs(row["words_per_line"] / corpus["words_per_line"] - 1)
        + max(0.0, row["short_line_share"] - corpus["short_line_share"])
        + 10 * max(0.0, row["non_word_share"] - corpus["non_word_share"])
        + max(0.0, 1.1 - row["rhyme_density"] / corpus["rhyme_density"])
        + max(0.0, 0.9 - row["distinct_2"] / corpus["distinct_2"])
        + 10 * (row["copied_line_share"] + row["copied_ngram_share"])
    )


@dataclass
class TuningBench:
    """A model version, its corpus row and the tuning seeds: what a grid point is measured with
    (bench/tune_chooser.py, bench/tune_sampling.py). Never the reporting seeds."""

    version: Any
    model: Any
    reference: Any
    corpus: dict[str, float]
    seeds: list[int]

    @classmethod
    def load(cls, *, model_name: str, verses: int, first_seed: int) -> TuningBench:
        from generator.evaluation import held_out_verses, load_for_evaluation
        from generator.ml.evaluation.reference import CorpusReference
        from generator.ml.evaluation.report import corpus_row
        from generator.ml.evaluation.words import verse_lines
        from generator.ml.evaluation.writing import verse_seeds
        from generator.models import ModelVersion

        if first_seed in range(1000, 1024):
            raise SystemExit("tune on other seeds than the reporting ones (1000-1023)")
        version = ModelVersion.objects.get(name=model_name)
        held_out = held_out_verses(version)
        reference = CorpusReference.from_verses([verse_lines(v) for v in held_out.train_verses])
        return cls(
            version=version,
            model=load_for_evaluation(version),
            reference=reference,
            corpus=corpus_row(held_out.held_out_verses, reference),
            seeds=verse_seeds(first_seed, verses),
        )

    def measure(self, recipe: Any) -> dict[str, float]:
        """The verses `recipe` writes from the tuning seeds, measured beside the corpus."""
        from generator.ml.evaluation.report import measure_verses
        from generator.ml.evaluation.writing import write_verses, writing_counts

        generated = write_verses(
            self.model.sampler,
            recipe=recipe,
            seeds=self.seeds,
            corpus_index=self.model.corpus_index,
            line_shape=self.model.line_shape,
        )
        return measure_verses(
            [list(v.lines) for v in generated], self.reference, writing=writing_counts(generated)
        )


def run(*, model_name: str, verses: int, first_seed: int) -> None:
    from generator.ml.evaluation.writing import DEFAULT_RECIPE
    from generator.ml.lyrics_writer import DEFAULT_WEIGHTS

    bench = TuningBench.load(model_name=model_name, verses=verses, first_seed=first_seed)
    version, corpus = bench.version, bench.corpus

    results = []
    started = time.perf_counter()
    for values in itertools.product(*GRID.values()):
        weights = replace(DEFAULT_WEIGHTS, **FIXED, **dict(zip(GRID, values, strict=True)))
        row = bench.measure(replace(DEFAULT_RECIPE, weights=weights))
        results.append((miss_score(row, corpus), values, row))
        print(f"{values}: miss {results[-1][0]:.3f}", file=sys.stderr, flush=True)
    results.sort(key=lambda result: result[0])

    print(
        f"model {version.name} (version {version.pk}), {verses} verses from seed {first_seed}, "
        f"{len(results)} grid points, {time.perf_counter() - started:.0f} s"
    )
    print(
        f"corpus: words/line {corpus['words_per_line']:.2f}, under 3 words "
        f"{corpus['short_line_share']:.1%}, non-words {corpus['non_word_share']:.1%}, rhyme "
        f"density {corpus['rhyme_density']:.3f}, distinct-2 {corpus['distinct_2']:.3f}\n"
    )
    names = " | ".join(GRID)
    print(
        f"| {names} | miss | words/line | under 3 words | non-words | rhyme density | "
        "distinct-2 | copied 6-grams |"
    )
    print("|" + " --- |" * (len(GRID) + 7))
    for miss, values, row in results:
        cells = " | ".join(f"{value:g}" for value in values)
        print(
            f"| {cells} | {miss:.3f} | {row['words_per_line']:.2f} | "
            f"{row['short_line_share']:.1%} | {row['non_word_share']:.1%} | "
            f"{row['rhyme_density']:.3f} | {row['distinct_2']:.3f} | "
            f"{row['copied_ngram_share']:.1%} |"
        )


def main() -> None:
    from bench.quality import _use_data_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "var")
    parser.add_argument("--model", default="demo", help="The model version's name.")
    parser.add_argument("--verses", type=int, default=8)
    parser.add_argument("--seed", type=int, default=TUNING_FIRST_SEED)
    args = parser.parse_args()
    if not (args.data_dir / "db.sqlite3").exists():
        raise SystemExit(f"no database in {args.data_dir}: run `make run` (or prepare it) first")
    _use_data_dir(args.data_dir)
    run(model_name=args.model, verses=args.verses, first_seed=args.seed)


if __name__ == "__main__":
    main()

"""How often the lines land in an asked syllable range, with the chooser's syllable term and
without it (the same verses otherwise: same model, seeds, candidates).

On the shipped demo model (no database: the engine reads generator/demo/model), for each range
and each seed from --seed on, `continue_verse` (generator.ml.cowrite) writes --lines lines with
--candidates candidates a line. "without" asks no range (the chooser's length term decides, as
before the range existed); "with" asks it at the default `ChooserWeights.syllables` and at the
weights in --weights. Prints a markdown table for docs/quality.md: lines in range, mean miss
(syllables outside), and seconds per line.

    .venv/bin/python bench/syllable_fit.py [--seeds 6] [--lines 4] [--candidates 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

RANGES = ((6, 8), (10, 12), (14, 16))


def main() -> None:
    from generator.ml.cowrite import DraftLine, ModelAids, ShapeControls, continue_verse
    from generator.ml.engine import Engine
    from generator.ml.lyrics_writer import DEFAULT_WEIGHTS
    from generator.ml.originality import CorpusLineIndex
    from generator.ml.syllables import SyllableRange
    from generator.ml.weight_files import TextgenrnnFiles

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7000)
    parser.add_argument("--lines", type=int, default=4)
    parser.add_argument("--candidates", type=int, default=4)
    parser.add_argument("--weights", type=float, nargs="*", default=[0.5, 3.0])
    args = parser.parse_args()

    shipped = REPO_ROOT / "generator" / "demo" / "model"
    files = TextgenrnnFiles(
        weights=shipped / "demo_weights.hdf5",
        vocab=shipped / "demo_vocab.json",
        config=shipped / "demo_config.json",
    )
    base = ModelAids(
        sampler=Engine.from_files(files),
        corpus_index=CorpusLineIndex.load(shipped / "demo_line_index.npz"),
    )
    opening = [DraftLine(text="we keep it moving through the night", locked=True)]
    modes: list[tuple[str, float | None]] = [("no range asked (length term)", None)]
    modes += [(f"with it, weight {w:g}", w) for w in args.weights]
    modes.insert(1, (f"with it, weight {DEFAULT_WEIGHTS.syllables:g} (default)", -1.0))
    print("| range | chooser | lines in range | mean miss (syllables) | s/line |")
    print("|---|---|---|---|---|")
    for low, high in RANGES:
        asked = SyllableRange(low, high)
        for label, weight in modes:
            aids = base
            if weight is not None and weight >= 0:
                aids = replace(base, weights=replace(DEFAULT_WEIGHTS, syllables=weight))
            controls = ShapeControls(
                candidates=args.candidates, syllables=None if weight is None else asked
            )
            inside = misses = total = 0
            started = time.perf_counter()
            for seed in range(args.seed, args.seed + args.seeds):
                result = continue_verse(
                    aids, lines=opening, count=args.lines, controls=controls, seed=seed
                )
                for line in result.lines[1:]:
                    total += 1
                    inside += line.syllables in asked
                    misses += asked.miss(line.syllables)
            seconds = (time.perf_counter() - started) / max(1, total)
            print(
                f"| {low}-{high} | {label} | {inside}/{total} ({inside / total:.0%}) "
                f"| {misses / total:.2f} | {seconds:.2f} |"
            )


if __name__ == "__main__":
    main()

"""What more candidates a line cost: the default request's time at a few candidate counts.

For each model directory given (textgenrnn's trio plus the corpus line index, as
generator/demo/model/ ships it), the NumPy engine the API serves with (one BLAS thread, as a
gunicorn worker), the default 5-line request (prefixes cycled, seeds 0..N-1, the API's writer
and defaults but `candidates`) at each candidate count: p50 and p90 of wall and CPU time. All
in one process, one after another, so the ratios between counts hold on a shared machine even
when the absolute times do not; `bench/serving_latency.py` measures the chosen default through
gunicorn. The default candidate count (`lyrics_writer.DEFAULT_CANDIDATES`) is chosen from this
table and docs/quality.md.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/candidates.py generator/demo/model \
        [--counts 2 4 6 8] [--requests 8]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PREFIXES = ["Late night on the avenue", "I came up from the bottom", "", "Money talk", "Yeah"]


def _files(directory: Path) -> tuple[object, Path | None]:
    from generator.ml.weights import TextgenrnnFiles

    def one(pattern: str) -> Path:
        found = sorted(directory.glob(pattern))
        if not found:
            raise SystemExit(f"{directory} has no {pattern}")
        return found[0]

    index = sorted(directory.glob("*_line_index.npz"))
    files = TextgenrnnFiles(
        weights=one("*_weights.hdf5"), vocab=one("*_vocab.json"), config=one("*_config.json")
    )
    return files, index[0] if index else None


def measure(
    directory: Path, *, counts: list[int], requests: int, temperatures: tuple[float, ...] | None
) -> None:
    from generator.ml.engine import Engine
    from generator.ml.lyrics_writer import LineShape, write_lyrics
    from generator.ml.originality import CorpusLineIndex
    from generator.ml.verses import is_verse_vocabulary

    files, index_path = _files(directory)
    shape = None
    for record in directory.glob("*_training.json"):  # the served line shape (serving.py)
        shape = LineShape.from_dict(json.loads(record.read_text())["metrics"].get("line_words"))
    engine = Engine.from_files(files)  # type: ignore[arg-type]
    index = CorpusLineIndex.load(index_path) if index_path is not None else None
    kind = "verse" if is_verse_vocabulary(engine.vocabulary) else "line"
    write_lyrics(sampler=engine, prefix=PREFIXES[0], seed=0, corpus_index=index, line_shape=shape)
    print(f"\n{directory} ({kind} model), {requests} default requests a count")
    print("| candidates | wall p50 ms | wall p90 ms | CPU p50 ms | CPU vs 4 |")
    print("| --- | --- | --- | --- | --- |")
    rows = {}
    for count in counts:
        walls, cpus = [], []
        for seed in range(requests):
            started, cpu = time.perf_counter(), time.process_time()
            write_lyrics(
                sampler=engine,
                prefix=PREFIXES[seed % len(PREFIXES)],
                seed=seed,
                candidates=count,
                corpus_index=index,
                line_shape=shape,
                **({"temperature": temperatures} if temperatures else {}),
            )
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        rows[count] = (
            statistics.median(walls),
            statistics.quantiles(walls, n=10)[-1] if len(walls) > 1 else walls[0],
            statistics.median(cpus),
        )
    base = rows.get(4, next(iter(rows.values())))[2]
    for count, (wall, wall90, cpu) in rows.items():
        print(f"| {count} | {wall:.0f} | {wall90:.0f} | {cpu:.0f} | {cpu / base:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "models",
        type=Path,
        nargs="*",
        default=[REPO_ROOT / "generator" / "demo" / "model"],
        help="model directories (default: the shipped demo model)",
    )
    parser.add_argument("--counts", type=int, nargs="+", default=[2, 4, 6, 8])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--temperatures", help="like 0.7/0.8/0.9 (default: the writer's)")
    args = parser.parse_args()
    temperatures = (
        tuple(float(t) for t in args.temperatures.split("/")) if args.temperatures else None
    )
    print(f"temperatures: {args.temperatures or 'the writer default'}")
    for directory in args.models:
        measure(directory, counts=args.counts, requests=args.requests, temperatures=temperatures)
    print(f"\nload average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()

"""How small is too small to train on? Held-out loss against the size of the training text.

Fine-tunes textgenrnn's pretrained network as a verse model (`make demo-model`'s recipe:
objective `last`, batch 128, early stopping with patience 1) on the first verses of the demo
corpus's training part, cut at a few sizes, and measures every run on the same held-out verses
(the demo split: validation 0.1, seed 0, 13 verses). The pretrained network's loss on them
before any training is the first row. The threshold `lyrics.corpus_size.SMALL_CORPUS_CHARS` and
docs/quality.md come from this table.

    nice -n 10 .venv/bin/python bench/corpus_size.py [--sizes 2500 5000 10000 20000] [--epochs 6]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def first_verses(verses: list[str], chars: int) -> list[str]:
    """The corpus's first verses, up to about `chars` characters (at least one verse)."""
    chosen: list[str] = []
    total = 0
    for verse in verses:
        if chosen and total + len(verse) > chars:
            break
        chosen.append(verse)
        total += len(verse) + 1
    return chosen


def run(*, sizes: list[int], epochs: int) -> None:
    # The corpus reader lives in the Django app's package: settings, but no database use.
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raplyrics.settings")
    import django

    django.setup()
    from generator.demo import DEMO_CORPUS
    from generator.ml.backend import configure_cpu_threads, unroll_for_training
    from generator.ml.config import ModelConfig
    from generator.ml.dataset import DatasetSplit, make_windows
    from generator.ml.evaluation.loss import held_out_loss
    from generator.ml.fit import TrainingConfig, fit, start_training, training_windows
    from generator.ml.verses import loaded_for_texts, verse_texts
    from generator.ml.weights import load_pretrained
    from generator.training.corpus_text import read_corpus, split_corpus

    configure_cpu_threads(intra_op=1, inter_op=2)
    split = split_corpus(read_corpus(DEMO_CORPUS).verses, validation_split=0.1, seed=0)
    held_out = verse_texts(split.held_out_verses)
    training = TrainingConfig(epochs=epochs, objective="last", patience=1, seed=0)
    rows: list[tuple[str, int, int, float, int, float]] = []

    def fresh() -> tuple[object, object, ModelConfig]:
        loaded = loaded_for_texts(
            load_pretrained(seed=0, unroll=unroll_for_training()), "verses", seed=0,
            unroll=unroll_for_training(),
        )  # fmt: skip
        return loaded.model, loaded.vocabulary, loaded.config

    model, vocabulary, config = fresh()
    validation = make_windows(held_out, vocabulary=vocabulary, config=config)
    measured = held_out_loss(model, vocabulary=vocabulary, config=config, lines=held_out)
    assert measured is not None
    initial = measured.loss
    print(f"held out: {len(held_out)} verses, {len(validation)} windows")
    print(f"pretrained, no training: held-out loss {initial:.3f}")
    for size in sizes:
        verses = first_verses(split.train_verses, size)
        texts = verse_texts(verses)
        model, vocabulary, config = fresh()
        state = start_training(model, vocabulary=vocabulary, config=config, training=training)
        train = training_windows(texts, vocabulary=vocabulary, config=config, training=training)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as scratch:
            result = fit(state, DatasetSplit(train=train, validation=validation),
                         checkpoint_dir=Path(scratch))  # fmt: skip
        best = min(m.validation_loss for m in result.metrics if m.validation_loss is not None)
        chars = sum(len(t) for t in texts)
        rows.append(
            (f"{len(verses)} verses", chars, len(train), best, result.best_epoch or 0,
             time.perf_counter() - started)
        )  # fmt: skip
        print(f"{len(verses)} verses, {chars} chars: best held-out loss {best:.3f} "
              f"(epoch {result.best_epoch}), {time.perf_counter() - started:.0f} s")  # fmt: skip
    print("\n| training text | characters | windows | best held-out loss | best epoch | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| none (pretrained) | 0 | 0 | {initial:.3f} | — | — |")
    for label, chars, windows, best, epoch, seconds in rows:
        print(f"| {label} | {chars:,} | {windows:,} | {best:.3f} | {epoch} | {seconds:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10000, 20000])
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    run(sizes=args.sizes, epochs=args.epochs)


if __name__ == "__main__":
    main()

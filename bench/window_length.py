"""How textgenrnn's pretrained network does with windows shorter or longer than its 40 tokens.

An all-positions window teaches its last `stride` positions, and position t reads t tokens: the
window's length decides the contexts the training sees (dataset.sequence_window). This scores
the pretrained network, untrained, on the held-out lines of a corpus (split_corpus, 10%,
--seed) with textgenrnn's windows at several lengths L: each target's up-to-L tokens before it,
left-padded. For L under 40 that is also what the causal model reads at position L of a
40-token window (its first L inputs are the last L of textgenrnn's window, padding included).
Deterministic (no training); prints one table.

    .venv/bin/python -m bench.window_length                      # tinyshakespeare 500,000+
    .venv/bin/python -m bench.window_length --corpus demo
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
from bench.time_to_quality import corpus_split  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["shakespeare", "demo"], default="shakespeare")
    parser.add_argument("--offset", type=int, default=500_000, help="tinyshakespeare's")
    parser.add_argument("--chars", type=int, default=30_000, help="tinyshakespeare's")
    parser.add_argument("--seed", type=int, default=2, help="the held-out split's")
    parser.add_argument(
        "--lengths", type=int, nargs="+", default=[20, 25, 31, 36, 38, 40, 41, 45, 50]
    )
    args = parser.parse_args()

    _, lines, what = corpus_split(args.corpus, args.chars, offset=args.offset, seed=args.seed)
    import keras

    from generator.ml.config import ModelConfig
    from generator.ml.dataset import make_windows
    from generator.ml.network import build_model, copy_weights
    from generator.ml.weights import load_pretrained

    pretrained = load_pretrained()
    classes = pretrained.vocabulary.num_classes
    loss = keras.losses.SparseCategoricalCrossentropy()
    print(f"{what}: {len(lines)} held-out lines (split seed {args.seed})")
    print(f"{'length':>6} {'held-out loss':>14} {'padding share':>14}")
    for length in args.lengths:
        config = ModelConfig.from_dict({**pretrained.config.to_dict(), "max_length": length})
        model = build_model(config, classes)
        copy_weights(pretrained.model, model)
        windows = make_windows(lines, vocabulary=pretrained.vocabulary, config=config)
        scored = model.predict(windows.inputs, batch_size=1024, verbose=0)
        share = float(np.mean(windows.inputs == 0))
        print(f"{length:>6} {float(loss(windows.targets, scored)):>14.4f} {share:>14.2f}")


if __name__ == "__main__":
    main()

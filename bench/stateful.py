"""Stateful mode's held-out loss: does carrying the LSTM state past 40 characters predict as well?

Issue 15 item 5: sampling with one window that never restarts (the LSTM state and the attention's
running sums carried from the stream's start) costs 1/40 of exact sampling's work a character,
but it is not textgenrnn's model, so it may be offered only if it predicts no worse. This scores
both on the held-out verses of the model's corpus (split_corpus, 10%, seed 0: the split the
demo model was trained and scored with), target by target:
- exact: textgenrnn's window, the 40 tokens before each target, from a zero state (the
  held-out loss every run reports; the same numbers the exact engine samples from);
- stateful: the verse's first window (39 padding tokens and `<s>`, as a stream starts) carried on
  to the target, LSTM state and attention sums never restarted, i.e. the causal model of
  generator/ml/network.py over the whole verse.
Both are natural-log losses per token, over the same targets; bits per character = nats / ln 2.
The first target is the same for both; up to the 40th the stateful window holds more padding
than textgenrnn's; past it, more context. The table gives all targets and those past the 40th.

    .venv/bin/python bench/stateful.py [generator/demo/model] [--corpus generator/demo/corpus.txt]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from generator.ml.weights import LoadedModel

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
DEMO_MODEL = REPO_ROOT / "generator" / "demo" / "model"
DEMO_CORPUS = REPO_ROOT / "generator" / "demo" / "corpus.txt"


def held_out_verses(corpus: Path) -> list[str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raplyrics.settings")
    import django

    django.setup()
    from generator.training.corpus_text import split_corpus, split_verses

    split = split_corpus(
        split_verses(corpus.read_text(encoding="utf-8")), validation_split=0.1, seed=0
    )
    return split.held_out_verses


def sequences(texts: list[str], loaded: LoadedModel) -> list[np.ndarray]:
    """Each text as the model reads it: `<s>`, its known tokens, `<s>`."""
    from generator.ml.dataset import known_token_ids

    vocabulary, config, end = loaded.vocabulary, loaded.config, loaded.vocabulary.end_id
    return [
        np.concatenate(
            [[end], known_token_ids(text, vocabulary=vocabulary, config=config), [end]]
        ).astype(np.int32)
        for text in texts
    ]


def load(model_dir: Path) -> LoadedModel:
    from generator.ml.weight_files import TextgenrnnFiles
    from generator.ml.weights import load_textgenrnn

    def one(pattern: str) -> Path:
        return sorted(model_dir.glob(pattern))[0]

    return load_textgenrnn(
        TextgenrnnFiles(
            weights=one("*_weights.hdf5"), vocab=one("*_vocab.json"), config=one("*_config.json")
        )
    )


def losses(loaded: LoadedModel, texts: list[str]) -> dict[str, np.ndarray]:
    """Per-target natural-log losses, exact and stateful, and each target's index in its text's
    sequence (1 = the first token after `<s>`)."""
    import keras

    from generator.ml.config import ModelConfig
    from generator.ml.network import build_model, copy_weights

    window = loaded.config.max_length
    seqs = sequences(texts, loaded)
    exact, stateful, position = [], [], []
    longest = max(len(s) for s in seqs) + window - 2
    long_config = ModelConfig.from_dict({**loaded.config.to_dict(), "max_length": longest})
    carried = build_model(long_config, loaded.vocabulary.num_classes, all_positions=True)
    copy_weights(loaded.model, carried)
    for seq in seqs:
        padded = np.concatenate([np.zeros(window, np.int32), seq])
        targets = padded[window + 1 :]
        # Exact: the `window` tokens before each target.
        starts = np.arange(1, len(seq))
        windows = np.stack([padded[s : s + window] for s in starts])
        probs = loaded.model.predict(windows, verbose=0, batch_size=1024)
        exact.append(-np.log(probs[np.arange(len(targets)), targets] + 1e-12))
        # Stateful: the first window (padded[1 : window + 1]) carried on, read at each target.
        inputs = np.zeros((1, longest), np.int32)
        inputs[0, : len(padded) - 2] = padded[1:-1]
        every = carried.predict(inputs, verbose=0)[0]
        at = starts + window - 2
        stateful.append(-np.log(every[at, targets] + 1e-12))
        position.append(starts)
    keras.backend.clear_session()
    return {
        "exact": np.concatenate(exact),
        "stateful": np.concatenate(stateful),
        "position": np.concatenate(position),
        "window": np.array(window),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", type=Path, default=DEMO_MODEL)
    parser.add_argument("--corpus", type=Path, default=DEMO_CORPUS)
    args = parser.parse_args()
    texts = held_out_verses(args.corpus)
    result = losses(load(args.model), texts)
    past = result["position"] > int(result["window"])
    print(f"{args.model}: {len(texts)} held-out verses of {args.corpus}, {len(past)} targets")
    print(f"{'targets':<34} {'exact bits/char':>16} {'stateful bits/char':>19} {'ratio':>7}")
    for name, mask in (
        ("all", np.ones_like(past)),
        (f"past the first {int(result['window'])}", past),
    ):
        exact = float(result["exact"][mask].mean()) / math.log(2)
        stateful = float(result["stateful"][mask].mean()) / math.log(2)
        label = f"{name} ({int(mask.sum())})"
        print(f"{label:<34} {exact:>16.4f} {stateful:>19.4f} {stateful / exact:>6.3f}x")


if __name__ == "__main__":
    main()

"""Regenerates tests/ml/fixtures/textgenrnn_reference.npz with textgenrnn's own Keras 2 model.

Run inside the reference venv (bench/textgenrnn_ref/make_venv.sh), from the repository root:
    .venv-textgenrnn/bin/python bench/textgenrnn_ref/make_fidelity_fixture.py
It records, for fixed input windows, the next-token probabilities of
1. textgenrnn's pretrained model (its shipped weights, loaded by Keras 2's own loader, which
   converts the CuDNN LSTMs), windows encoded by textgenrnn's own encoder;
2. a small random bidirectional 2-layer model built by textgenrnn_model, whose weights are
   saved with tf_keras' save_weights to textgenrnn_bidir_weights.hdf5.
tests/ml/test_fidelity.py compares our Keras 3 model against these numbers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
import shim  # noqa: F401  (must precede textgenrnn)
import tensorflow as tf
from textgenrnn import textgenrnn
from textgenrnn.model import textgenrnn_model
from textgenrnn.utils import textgenrnn_encode_sequence

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "ml" / "fixtures"

# Our own sentences (not lyrics): short, long, non-ASCII, digits and punctuation.
PREFIXES = [
    "",
    "T",
    "The quick brown fox",
    "jumps over the lazy dog while the band plays on and on",
    "Ünïcödé — “quotes” and ‘apostrophes’ … 12345!",
    "a" * 60,
    "What is the meaning of this? I asked; nobody answered.",
    "ending with a space ",
    "MIXED case Words And [brackets] {braces} (parens)",
    "tabs\tand\tmore tabs",
]
BIDIR_CONFIG = {
    "rnn_layers": 2,
    "rnn_size": 8,
    "rnn_bidirectional": True,
    "max_length": 10,
    "max_words": 10000,
    "dim_embeddings": 6,
    "word_level": False,
    "single_text": False,
}
BIDIR_CLASSES = 12


def pretrained_windows(model: textgenrnn) -> np.ndarray:
    windows = []
    for prefix in PREFIXES:
        tokens = [model.META_TOKEN, *prefix]
        # Every window along the prefix, as generation would feed them.
        for stop in range(1, len(tokens) + 1, 7):
            windows.append(textgenrnn_encode_sequence(tokens[:stop][-40:], model.vocab, 40)[0])
        windows.append(textgenrnn_encode_sequence(tokens[-40:], model.vocab, 40)[0])
    return np.asarray(windows, dtype=np.int32)


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    pretrained = textgenrnn()
    windows = pretrained_windows(pretrained)
    probabilities = pretrained.model.predict(windows, verbose=0)

    tf.keras.utils.set_random_seed(1234)
    bidir = textgenrnn_model(BIDIR_CLASSES, cfg=BIDIR_CONFIG)
    # Random weights everywhere (biases included) so nothing matches by accident of zeros.
    rng = np.random.default_rng(1234)
    bidir.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in bidir.get_weights()])
    bidir_weights = FIXTURES / "textgenrnn_bidir_weights.hdf5"
    bidir.save_weights(str(bidir_weights))
    bidir_windows = rng.integers(0, BIDIR_CLASSES, (24, BIDIR_CONFIG["max_length"])).astype(
        np.int32
    )
    bidir_windows[:6, :4] = 0  # left padding, as short prefixes have
    bidir_probabilities = bidir.predict(bidir_windows, verbose=0)

    np.savez_compressed(
        FIXTURES / "textgenrnn_reference.npz",
        pretrained_windows=windows,
        pretrained_probabilities=probabilities.astype(np.float32),
        bidir_windows=bidir_windows,
        bidir_probabilities=bidir_probabilities.astype(np.float32),
        bidir_config=np.frombuffer(json.dumps(BIDIR_CONFIG).encode(), dtype=np.uint8),
        bidir_classes=np.array(BIDIR_CLASSES),
        versions=np.frombuffer(
            json.dumps({"tensorflow": tf.__version__, "textgenrnn": "2.0.0"}).encode(),
            dtype=np.uint8,
        ),
    )
    print(f"wrote {len(windows)} pretrained and {len(bidir_windows)} bidirectional windows")


if __name__ == "__main__":
    main()

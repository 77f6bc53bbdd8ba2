"""textgenrnn's own `train_from_file` (fine-tuning its pretrained model), with its held-out loss
after every epoch: the baseline curve of bench/time_to_quality.py.

Run inside the reference venv:
    python train_curve.py TRAIN_FILE HELD_OUT.npz --epochs 10 --batch-size 128 --json OUT
TRAIN_FILE holds one text per line (as train_from_file reads it); HELD_OUT.npz holds `inputs`
(n, 40) and `targets` (n,): textgenrnn's last-position windows of held-out verses, encoded with
the pretrained vocabulary by our dataset code (the same windows our runs are scored on). The loss
is the mean cross-entropy of the target's probability, clipped as Keras clips it (1e-7).
Writes {"epochs": [{"seconds", "held_out_loss"}], "initial_held_out_loss", ...} to OUT;
"seconds" is training time only (the evaluation between epochs is not counted).
textgenrnn writes its weights into the working directory each epoch: run it in a temp dir.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import shim  # must precede textgenrnn
import tf_keras
from textgenrnn import textgenrnn

shim.patch_numpy2(sys.modules["textgenrnn.textgenrnn"])

_CLIP = 1e-7


def held_out_loss(model: tf_keras.Model, inputs: np.ndarray, targets: np.ndarray) -> float:
    probabilities = model.predict(inputs, batch_size=1024, verbose=0)
    picked = np.clip(probabilities[np.arange(len(targets)), targets], _CLIP, 1 - _CLIP)
    return float(-np.log(picked).mean())


class Curve(tf_keras.callbacks.Callback):
    """Training seconds per epoch (timer stopped before scoring), then the held-out loss."""

    def __init__(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        super().__init__()
        self.inputs, self.targets = inputs, targets
        self.rows: list[dict[str, float]] = []
        self.started = 0.0

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: object = None) -> None:
        seconds = time.perf_counter() - self.started
        loss = held_out_loss(self.model, self.inputs, self.targets)
        self.rows.append({"seconds": seconds, "held_out_loss": loss})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("train_file")
    parser.add_argument("held_out")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--json", required=True)
    args = parser.parse_args()

    held_out = np.load(args.held_out)
    inputs, targets = held_out["inputs"], held_out["targets"]
    model = textgenrnn()
    initial = held_out_loss(model.model, inputs, targets)
    curve = Curve(inputs, targets)
    windows = shim.train_from_file_with(
        model, args.train_file, epochs=args.epochs, batch_size=args.batch_size, callback=curve
    )
    result = {
        "implementation": "textgenrnn 2.0.0 train_from_file (tf_keras, TensorFlow CPU)",
        "windows_per_epoch": windows,
        "initial_held_out_loss": initial,
        "epochs": curve.rows,
    }
    Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

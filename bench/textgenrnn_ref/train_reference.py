"""Times textgenrnn's own `train_from_file` (fine-tuning its pretrained model) per epoch.

Run inside the reference venv; bench/train_throughput.py calls it as a subprocess:
    python train_reference.py CORPUS_FILE --batch-size 128 --epochs 2 --json OUT
Writes {"windows_per_epoch", "epochs": [{"seconds", "windows_per_second"}], ...} to OUT.
textgenrnn writes its weights into the working directory each epoch: run it in a temp dir.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import shim  # must precede textgenrnn
import tf_keras
from textgenrnn import textgenrnn

# The package's __init__ shadows its module textgenrnn.textgenrnn with the class.
shim.patch_numpy2(sys.modules["textgenrnn.textgenrnn"])


class EpochTimer(tf_keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self.started = 0.0

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: object = None) -> None:
        self.seconds.append(time.perf_counter() - self.started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--json", required=True)
    args = parser.parse_args()

    model = textgenrnn()
    timer = EpochTimer()
    windows = shim.train_from_file_with(
        model, args.corpus, epochs=args.epochs, batch_size=args.batch_size, callback=timer
    )
    result = {
        "implementation": "textgenrnn 2.0.0 train_from_file (tf_keras, TensorFlow CPU)",
        "windows_per_epoch": windows,
        "epochs": [{"seconds": s, "windows_per_second": windows / s} for s in timer.seconds],
    }
    Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

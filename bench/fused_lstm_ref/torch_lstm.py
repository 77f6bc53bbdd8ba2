"""A yardstick, not a product path: textgenrnn's network trained with PyTorch's fused CPU LSTM.

PyTorch runs an nn.LSTM on CPU through oneDNN's fused LSTM primitive (forward and backward),
which is what a hand-written fused kernel for our model would be. This times it on the same
architecture (embedding 100, two LSTM 128, attention, 465 classes), window 40, batch 128, with
Adam, so our Keras loop can be compared with a fused kernel on the same machine. Optional: it
needs torch, which RapLyrics does not depend on; run it in a venv of its own:
    python3.11 -m venv /tmp/torch-ref && /tmp/torch-ref/bin/pip install torch==2.13.0 numpy
    /tmp/torch-ref/bin/python bench/fused_lstm_ref/torch_lstm.py [--oneDNN off]
"""

from __future__ import annotations

import argparse
import time

import torch

BATCH, WINDOW, EMBEDDING, UNITS, CLASSES = 128, 40, 100, 128, 465


class TextgenrnnNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(CLASSES, EMBEDDING)
        self.rnn_1 = torch.nn.LSTM(EMBEDDING, UNITS, batch_first=True)
        self.rnn_2 = torch.nn.LSTM(UNITS, UNITS, batch_first=True)
        width = EMBEDDING + 2 * UNITS
        self.attention = torch.nn.Parameter(torch.empty(width, 1).uniform_(-0.05, 0.05))
        self.output = torch.nn.Linear(width, CLASSES)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        embedded = self.embedding(windows)
        first, _ = self.rnn_1(embedded)
        second, _ = self.rnn_2(first)
        features = torch.cat([embedded, first, second], dim=2)
        weights = torch.softmax((features @ self.attention).squeeze(-1), dim=1)
        return self.output((features * weights.unsqueeze(-1)).sum(dim=1))  # logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oneDNN", choices=("on", "off"), default="on")
    parser.add_argument("--batches", type=int, default=40, help="batches per timed epoch")
    args = parser.parse_args()
    torch.backends.mkldnn.enabled = args.oneDNN == "on"
    torch.manual_seed(0)
    net = TextgenrnnNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=4e-3)
    windows = torch.randint(1, CLASSES, (BATCH * args.batches, WINDOW))
    targets = torch.randint(1, CLASSES, (BATCH * args.batches,))

    def epoch() -> float:
        started = time.perf_counter()
        for start in range(0, len(windows), BATCH):
            optimizer.zero_grad(set_to_none=True)
            logits = net(windows[start : start + BATCH])
            loss = torch.nn.functional.cross_entropy(logits, targets[start : start + BATCH])
            loss.backward()
            optimizer.step()
        return len(windows) / (time.perf_counter() - started)

    epoch()  # warm up
    rate = max(epoch() for _ in range(3))
    print(
        f"PyTorch {torch.__version__} nn.LSTM on CPU, oneDNN {args.oneDNN}, "
        f"{torch.get_num_threads()} threads, batch {BATCH}: {rate:,.0f} windows/s"
    )


if __name__ == "__main__":
    main()

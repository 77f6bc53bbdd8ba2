"""Training progress for management commands: a tqdm bar on a TTY, one line per epoch otherwise.

The bar shows the last epoch's loss and the session's throughput in windows/s; it is off at
-v 0 and when stderr is not a terminal (logs get the per-epoch lines instead).
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from django.core.management.base import OutputWrapper
from tqdm import tqdm

if TYPE_CHECKING:
    from generator.training.listener import CheckpointStored, SessionStarted, TrainingListener


class TrainingProgress:
    def __init__(self, *, stdout: OutputWrapper, stderr: OutputWrapper, verbosity: int) -> None:
        self.stdout, self.stderr, self.verbosity = stdout, stderr, verbosity
        self.bar: tqdm[Any] | None = None
        self.started: SessionStarted | None = None
        self.batch_size = 1
        self.session_batches = 0
        self.session_clock = time.monotonic()
        self.postfix: dict[str, str] = {}

    def listener(self) -> TrainingListener:
        from generator.training.listener import TrainingListener

        return TrainingListener(
            on_start=self.on_start,
            on_batch=self.on_batch,
            on_checkpoint=self.on_checkpoint,
            on_warning=self.on_warning,
        )

    def on_start(self, started: SessionStarted) -> None:
        self.started = started
        self.batch_size = started.batch_size
        self.session_clock = time.monotonic()
        if self.verbosity >= 1:
            where = f"epoch {started.epoch + 1}" + (
                f", batch {started.batches_done + 1}" if started.batches_done else ""
            )
            self.say(
                f"run #{started.run_id} on {started.device}: {started.train_windows:,} training "
                f"and {started.validation_windows:,} validation windows, "
                f"{started.epochs} epochs, starting at {where}"
            )
            if started.unknown_tokens:
                self.say(
                    f"{started.unknown_tokens:,} corpus characters are not in the vocabulary "
                    "and were left out"
                )
        if self.verbosity >= 1 and sys.stderr.isatty():
            self.bar = tqdm(
                total=started.epochs * started.batches_per_epoch,
                initial=started.epoch * started.batches_per_epoch + started.batches_done,
                unit="batch",
                file=sys.stderr,
                dynamic_ncols=True,
                leave=False,
            )

    def on_batch(self, done: int, total: int) -> None:
        self.session_batches += 1
        if self.bar is None:
            return
        self.bar.update(1)
        elapsed = time.monotonic() - self.session_clock
        if elapsed > 0:
            rate = self.session_batches * self.batch_size / elapsed
            self.postfix["windows/s"] = f"{rate:,.0f}"
        self.bar.set_postfix(self.postfix, refresh=False)

    def on_checkpoint(self, stored: CheckpointStored) -> None:
        metrics = stored.metrics
        if metrics is not None:
            self.postfix["loss"] = f"{metrics.train_loss:.3f}"
        if self.verbosity < 1:
            return
        if metrics is None:
            self.say(f"stopped inside epoch {stored.epoch + 1}: stored {stored.key}")
            return
        validation = (
            f", validation {metrics.validation_loss:.3f}"
            if metrics.validation_loss is not None
            else ""
        )
        self.say(
            f"epoch {stored.epoch}/{stored.epochs}: loss {metrics.train_loss:.3f}{validation}, "
            f"{metrics.windows_per_second:,.0f} windows/s, stored {stored.key}"
        )

    def on_warning(self, message: str) -> None:
        self.warn(f"warning: {message}")

    def say(self, line: str) -> None:
        if self.bar is not None:
            self.bar.clear()
        self.stdout.write(line)
        if self.bar is not None:
            self.bar.refresh()

    def warn(self, line: str) -> None:
        if self.bar is not None:
            self.bar.clear()
        self.stderr.write(line)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

"""Training progress for management commands: a tqdm bar on a TTY, one line per epoch otherwise.

The bar shows the last epoch's loss and the session's throughput in windows/s; it is off at
-v 0 and when stderr is not a terminal (logs get the per-epoch lines instead). Each line is
flushed as it is written, so a pipe or a log file (`| tee`, the local training process's log)
shows an epoch when it ends, not when a buffer fills.

An output whose reader went away (`| head`, a terminal hung up) stops the run as SIGTERM does:
the stop flag is raised with that reason (a checkpoint at the next batch, the run interrupted
and resumable), what stdout would have said goes to stderr, and nothing raises.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.management.base import OutputWrapper
from tqdm import tqdm

from common.output import discard_output, is_closed_output_error

if TYPE_CHECKING:
    from generator.ml.fit import StopFlag
    from generator.training.listener import CheckpointStored, SessionStarted, TrainingListener


class TrainingProgress:
    OUTPUT_CLOSED = "its output was closed"

    def __init__(
        self,
        *,
        stdout: OutputWrapper,
        stderr: OutputWrapper,
        verbosity: int,
        stop: StopFlag | None = None,
    ) -> None:
        self.stdout, self.stderr, self.verbosity, self.stop = stdout, stderr, verbosity, stop
        self.closed: set[str] = set()  # "stdout", "stderr": outputs whose reader went away
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
        elapsed = time.monotonic() - self.session_clock
        if elapsed > 0:
            rate = self.session_batches * self.batch_size / elapsed
            self.postfix["windows/s"] = f"{rate:,.0f}"
        self._on_bar(lambda bar: bar.update(1))
        self._on_bar(lambda bar: bar.set_postfix(self.postfix, refresh=False))

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
        """A line for stdout (stderr once stdout's reader went away)."""
        self._write("stderr" if "stdout" in self.closed else "stdout", line)

    def warn(self, line: str) -> None:
        self._write("stderr", line)

    def _write(self, name: str, line: str) -> None:
        if name in self.closed:
            return
        stream = self.stdout if name == "stdout" else self.stderr
        self._on_bar(lambda bar: bar.clear())
        try:
            stream.write(line)
            stream.flush()
        except OSError as error:
            if not is_closed_output_error(error):
                raise
            self._lost(name, stream, line)
        self._on_bar(lambda bar: bar.refresh())

    def _on_bar(self, action: Callable[[tqdm[Any]], object]) -> None:
        """Draw on the bar (stderr, a terminal) unless that terminal went away."""
        if self.bar is None:
            return
        try:
            action(self.bar)
        except OSError as error:
            if not is_closed_output_error(error):
                raise
            self._lost("stderr", self.stderr, "")

    def _lost(self, name: str, stream: OutputWrapper, line: str) -> None:
        """`stream`'s reader went away: stop the run, keep writing on the other output."""
        self.closed.add(name)
        discard_output(stream)
        if name == "stderr":  # where the bar draws
            self.bar = None
        if self.stop is not None and not self.stop.requested:
            self.stop.request(self.OUTPUT_CLOSED)
            self.warn(f"{self.OUTPUT_CLOSED}: saving a checkpoint at the next batch")
        if name == "stdout":
            self.warn(line)

    def close(self) -> None:
        self._on_bar(lambda bar: bar.close())
        self.bar = None

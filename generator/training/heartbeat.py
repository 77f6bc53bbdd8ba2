"""A running session's heartbeat: its progress written, a stop asked for from the admin read.

Called after every batch; at most every `interval` seconds (and at the first batch) it writes
the run's updated_at (others tell a live run from a vanished one by it, see
TrainingRun.is_silent) and its progress (epoch, batch, windows/s, ETA), and turns a stop asked
for from the admin (stop_requested_at) into the session's stop request.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

from generator.ml.fit import StopFlag, TrainingState
from generator.models import TrainingRun

logger = logging.getLogger(__name__)

# Progress (and a stop asked for from the admin) is written/read at most this often.
PROGRESS_EVERY_S = 5.0


class Heartbeat:
    """The `on_batch` callback of a session's fit (module docstring)."""

    def __init__(
        self,
        run: TrainingRun,
        state: TrainingState,
        *,
        stop: StopFlag,
        on_batch: Callable[[int, int], None] | None,
        batch_size: int,
    ) -> None:
        self.run, self.state, self.stop, self.on_batch = run, state, stop, on_batch
        self.batch_size = batch_size
        self.interval = min(float(settings.TRAINING_HEARTBEAT_S), PROGRESS_EVERY_S)
        self.last_write = -math.inf
        self.started = time.monotonic()
        self.first_batch: int | None = None  # the batch count when this session's clock started
        self.epochs_at_start = state.epoch

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.first_batch is None:
            self.first_batch, self.started = done - 1, now
        if now - self.last_write >= self.interval:
            self.last_write = now
            self._beat(done, total, now)
        if self.on_batch is not None:
            self.on_batch(done, total)

    def _beat(self, done: int, total: int, now: float) -> None:
        asked = self.run.beat(self._progress(done, total, now))
        if asked is not None and not self.stop.requested:
            logger.info("run #%s: stop asked for at %s", self.run.pk, asked)
            self.stop.request()

    def _progress(self, done: int, total: int, now: float) -> dict[str, Any]:
        assert self.first_batch is not None
        # Batches trained in this session so far, across epochs.
        batches = (self.state.epoch - self.epochs_at_start) * total + done - self.first_batch
        # The clock starts at the end of this session's first batch (tracing excluded): the
        # rate is unknown until a later batch.
        elapsed = now - self.started
        per_second = (batches - 1) / elapsed if batches > 1 and elapsed > 0 else None
        remaining = (self.state.training.epochs - self.state.epoch) * total - done
        return {
            "epoch": self.state.epoch + 1,
            "epochs": self.state.training.epochs,
            "batch": done,
            "batches": total,
            "windows_per_second": round(per_second * self.batch_size, 1) if per_second else None,
            "eta_seconds": round(remaining / per_second) if per_second else None,
        }

"""Signals that stop a training command gracefully (the spot instance's SIGTERM, Ctrl-C)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.management.progress import TrainingProgress
    from generator.ml.training import StopFlag

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals(stop: StopFlag, progress: TrainingProgress) -> Iterator[None]:
    """SIGTERM/SIGINT request a stop at the next batch; a second Ctrl-C aborts at once."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stop.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.request()
        progress.warn(
            f"{signal.Signals(signum).name} received: saving a checkpoint at the next batch"
        )

    previous = {signum: signal.signal(signum, request_stop) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

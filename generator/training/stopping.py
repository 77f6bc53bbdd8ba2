"""Signals that ask a training session to stop at its next batch (a spot instance's SIGTERM,
Ctrl-C, a Celery worker's shutdown): one helper for the command and the task."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from generator.ml.fit import StopFlag

# What stops a command: a spot instance's termination notice, Ctrl-C, and the terminal it
# runs in going away (an SSH session dropped): each stores a checkpoint and leaves the run
# resumable, where SIGHUP's default would kill the process mid-epoch.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# A command stopped by Ctrl-C exits as a shell reports a process that SIGINT ended.
ABORTED_EXIT_CODE = 128 + signal.SIGINT
# What a second Ctrl-C did, in a run's stop reason and a command's last line.
ABORTED = "aborted at once (a second Ctrl-C)"


@contextmanager
def stop_on_signals(
    stop: StopFlag,
    *,
    signals: Sequence[signal.Signals] = (signal.SIGTERM,),
    announce: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """While inside, each of `signals` requests `stop` (and is announced); a second SIGINT
    (Ctrl-C) aborts at once. Outside the main thread (a threaded worker pool) no handler can
    be installed: the block runs without one."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stop.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        received = f"{signal.Signals(signum).name} received"
        stop.request(received)
        if announce is not None:
            announce(f"{received}: saving a checkpoint at the next batch")

    try:
        previous = {signum: signal.signal(signum, request_stop) for signum in signals}
    except ValueError:  # not the main thread: signal.signal refuses before installing any
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

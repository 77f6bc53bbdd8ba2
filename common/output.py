"""A command's output after its reader went away: a pipe's reader that exited (`| head`, a
crashed `| tee`), a terminal that hung up.

Writing there raises BrokenPipeError (EPIPE) or, on a hung-up terminal, EIO. Commands answer
it without a traceback: `manage.py` ends quietly, a training run stops the way SIGTERM stops it.
"""

from __future__ import annotations

import errno
import os
import select
from typing import Any

_CLOSED_ERRNOS = frozenset({errno.EPIPE, errno.EIO})


def is_closed_output_error(error: BaseException) -> bool:
    """Whether `error` is what writing to an output whose reader went away raises."""
    return isinstance(error, OSError) and error.errno in _CLOSED_ERRNOS


def _descriptor(stream: Any) -> int | None:
    """`stream`'s file descriptor; None for a stream without one (a test's StringIO)."""
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def has_lost_its_reader(stream: Any) -> bool:
    """Whether `stream` is a pipe or terminal whose reader went away (poll: an error or a
    hang-up on its file descriptor). False for anything without a file descriptor."""
    descriptor = _descriptor(stream)
    if descriptor is None:
        return False
    poller = select.poll()
    poller.register(descriptor, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def discard_output(stream: Any) -> None:
    """Send what `stream` still holds, and all it is given later, to /dev/null: its file
    descriptor is pointed there, so the interpreter's last flush at exit does not raise again.
    A stream without a file descriptor (a test's StringIO) is left as it is."""
    descriptor = _descriptor(stream)
    if descriptor is None:
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)

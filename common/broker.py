"""Queueing a Celery task while the broker may be down: one line saying so, not a traceback.

Publishing to a broker that cannot be reached raises kombu's OperationalError after its few
retries (under a second for a refused connection). Callers turn it into their own one-line
error, so a staff member gets a message and a half-started job is undone, not a 500.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from kombu.exceptions import OperationalError


class BrokerUnreachable(Exception):
    """The task queue (CELERY_BROKER_URL) cannot be reached: nothing was queued."""


def unreachable_reason(error: Exception) -> str:
    return (
        f"the task queue cannot be reached ({error}); nothing was queued: start the broker "
        "CELERY_BROKER_URL names and try again"
    )


@contextlib.contextmanager
def broker_reachable(
    error: Callable[[str], Exception] = BrokerUnreachable,
) -> Iterator[None]:
    """Inside, a task that cannot be queued raises `error(one line)` instead."""
    try:
        yield
    except OperationalError as failure:
        raise error(unreachable_reason(failure)) from None

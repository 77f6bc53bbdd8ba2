"""Admission to generation: few at a time, within a deadline that counts the wait, and an end
when the client leaves.

Each worker process generates in at most `RAPLYRICS_GENERATION_SLOTS` requests at once; the
others wait for a slot. A request's deadline is `RAPLYRICS_GENERATION_TIME_LIMIT_S` after it
arrived — at Apache when Apache stamped `X-Request-Start` (trusted proxies only), else when the
view began — so the time spent queueing counts. A request that cannot start in time, judged by
how long recent requests of its size took, is refused at once with 503 and `Retry-After`
instead of timing out at the client. A request that finds a slot free always starts.

The deadline handed to the writer is a `ClientDeadline`: a `time.monotonic()` instant that also
counts as passed once the client has closed its connection (seen on the gunicorn socket, where
the WSGI server gives one). The writer already checks its deadline before each batch, so an
abandoned request stops there, without the model core knowing about sockets.
"""

from __future__ import annotations

import math
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from raplyrics.client_address import is_trusted_proxy

# How much a new measurement moves the estimate of seconds per unit of work.
_SMOOTHING = 0.3
# An X-Request-Start further than this from now is a clock problem, not a queue: ignored.
_MAX_PLAUSIBLE_QUEUE_S = 600.0


class Overloaded(Exception):
    """No slot frees up in time; `retry_after_s` is when one likely will."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _peer_closed(connection: socket.socket) -> bool:
    """True once the client has closed its side (readable with nothing to read)."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        if not readable:
            return False
        return connection.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class ClientDeadline(float):
    """A monotonic instant that also passes when the client goes away.

    `time.monotonic() >= deadline` asks this subclass first (Python tries the right operand's
    reflected comparison when its type subclasses the left's); arithmetic stays plain float.
    """

    gone: Callable[[], bool] | None

    def __new__(cls, instant: float, gone: Callable[[], bool] | None = None) -> ClientDeadline:
        deadline = super().__new__(cls, instant)
        deadline.gone = gone
        return deadline

    def client_gone(self) -> bool:
        return self.gone is not None and self.gone()

    def __le__(self, now: Any) -> bool:  # `now >= deadline`
        return float(self) <= now or self.client_gone()

    def __lt__(self, now: Any) -> bool:  # `now > deadline`
        return float(self) < now or self.client_gone()

    def __hash__(self) -> int:
        return float.__hash__(self)


@dataclass(frozen=True)
class Arrival:
    """When a request arrived (a `time.monotonic()` instant) and how to tell its client left."""

    at: float
    client_gone: Callable[[], bool] | None = None

    def deadline(self, limit_s: float) -> ClientDeadline:
        return ClientDeadline(self.at + limit_s, self.client_gone)


def _waited_before_view_s(request: HttpRequest) -> float:
    """Seconds since Apache received the request (`X-Request-Start: t=<microseconds>`)."""
    stamp = str(request.META.get("HTTP_X_REQUEST_START") or "")
    if not stamp or not is_trusted_proxy(str(request.META.get("REMOTE_ADDR") or "")):
        return 0.0
    try:
        started = int(stamp.removeprefix("t=")) / 1_000_000
    except ValueError:
        return 0.0
    waited = time.time() - started
    return waited if 0.0 <= waited <= _MAX_PLAUSIBLE_QUEUE_S else 0.0


def arrival_of(request: HttpRequest) -> Arrival:
    connection = request.META.get("gunicorn.socket")
    gone = (lambda: _peer_closed(connection)) if connection is not None else None
    return Arrival(at=time.monotonic() - _waited_before_view_s(request), client_gone=gone)


class _Slots:
    """This process's generation slots and what recent generations cost."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._capacity = 0
        self._semaphore = threading.Semaphore(0)
        self._waiting = 0
        self.seconds_per_unit = 0.0  # 0: nothing measured yet, so every request may try

    def _ensure_capacity(self) -> None:
        wanted = int(settings.GENERATION_SLOTS)
        with self._lock:
            if self._capacity == 0:
                self._capacity = wanted
                self._semaphore = threading.Semaphore(wanted)

    def expected_s(self, units: int) -> float:
        return self.seconds_per_unit * units

    def retry_after_s(self, units: int) -> int:
        queue = (self._waiting + 1) / max(1, self._capacity)
        return max(1, math.ceil(self.expected_s(units) * queue))

    def record(self, units: int, seconds: float) -> None:
        measured = seconds / max(1, units)
        with self._lock:
            if self.seconds_per_unit == 0.0:
                self.seconds_per_unit = measured
            else:
                self.seconds_per_unit += _SMOOTHING * (measured - self.seconds_per_unit)

    @contextmanager
    def hold(self, *, deadline: float, units: int) -> Iterator[None]:
        self._ensure_capacity()
        now = time.monotonic()
        # A free slot is always taken (the writer's own deadline check then ends a request that
        # is already late): the estimate only decides how long a request may queue for one.
        admitted = self._semaphore.acquire(blocking=False)
        wait_s = float(deadline) - self.expected_s(units) - now
        if not admitted and wait_s > 0:
            with self._lock:
                self._waiting += 1
            try:
                admitted = self._semaphore.acquire(timeout=wait_s)
            finally:
                with self._lock:
                    self._waiting -= 1
        if not admitted:
            raise Overloaded(
                "the server is busy and could not start your request in time; try again shortly",
                retry_after_s=self.retry_after_s(units),
            )
        started = time.monotonic()
        completed = False
        try:
            yield
            completed = True
        finally:
            self._semaphore.release()
            elapsed = time.monotonic() - started
            # A run cut short (time-out, client gone) cost at least this much: it may only raise
            # the estimate; one that failed fast (unknown model) says nothing about the cost.
            if completed or elapsed > self.expected_s(units):
                self.record(units, elapsed)


_slots = _Slots()


def generation_slot(*, deadline: float, units: int) -> Any:
    """Hold one of this process's generation slots for the `with` block, or raise Overloaded."""
    return _slots.hold(deadline=deadline, units=units)


def reset() -> None:
    """Forget slots and measurements (tests change GENERATION_SLOTS between cases)."""
    global _slots
    _slots = _Slots()

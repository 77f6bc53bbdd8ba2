"""Under overload a request gets an answer in time: it waits for a generation slot only while it
can still finish by its deadline (the wait counts), else 503 with Retry-After at once; a client
that leaves stops its generation."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from generator import admission
from generator.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_slot(settings: Any) -> Iterator[None]:
    settings.GENERATION_SLOTS = 1
    settings.RAPLYRICS_GENERATE_RATE = "1000/min"
    admission.reset()
    yield
    admission.reset()


class _SlotHolder:
    """Another request generating: holds this process's only slot until released."""

    def __init__(self) -> None:
        self.holding = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        with admission.generation_slot(deadline=time.monotonic() + 60, units=1):
            self.holding.set()
            self.release.wait(30)

    def __enter__(self) -> _SlotHolder:
        self.thread.start()
        assert self.holding.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(5)


def _generate(client: Client, **extra: Any) -> Any:
    return client.post(
        "/api/generate", {"lines": 1, "candidates": 1}, content_type="application/json", **extra
    )


def test_a_request_that_cannot_get_a_slot_in_time_gets_503_with_retry_after(
    client: Client, settings: Any, unloadable_model: ModelVersion
) -> None:
    settings.GENERATION_TIME_LIMIT_S = 1
    with _SlotHolder():
        started = time.monotonic()
        response = _generate(client)
        waited = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert "busy" in body["error"]
    assert int(response["Retry-After"]) == body["retry_after"] >= 1
    assert waited < 1.5  # refused by its deadline, not after a client's patience ran out


def test_a_waiting_request_starts_when_the_slot_frees_up_in_time(
    unloadable_model: ModelVersion,
) -> None:
    entered = threading.Event()
    with _SlotHolder() as holder:
        waiter = threading.Thread(target=lambda: _enter_slot(entered, deadline_s=10))
        waiter.start()
        time.sleep(0.3)
        assert not entered.is_set()
        holder.release.set()
        waiter.join(5)
    assert entered.is_set()


def _enter_slot(entered: threading.Event, *, deadline_s: float) -> None:
    with admission.generation_slot(deadline=time.monotonic() + deadline_s, units=1):
        entered.set()


def _refusal_after_queueing_elsewhere(client: Client, *, queued_s: float) -> tuple[Any, float]:
    """A request Apache stamped `queued_s` ago, while another holds the only slot."""
    stamp = f"t={int((time.time() - queued_s) * 1_000_000)}"
    with _SlotHolder():
        started = time.monotonic()
        response = _generate(client, HTTP_X_REQUEST_START=stamp)
        return response, time.monotonic() - started


def test_time_queued_before_django_counts_toward_the_deadline(
    client: Client, settings: Any, unloadable_model: ModelVersion
) -> None:
    """Apache stamps X-Request-Start: a request that already spent its limit queueing there is
    refused at once instead of waiting for a slot."""
    settings.GENERATION_TIME_LIMIT_S = 2
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    response, waited = _refusal_after_queueing_elsewhere(client, queued_s=5)

    assert response.status_code == 503
    assert "busy" in response.json()["error"]
    assert response["Retry-After"]
    assert waited < 0.5


def test_a_client_cannot_spend_its_deadline_with_a_forged_stamp(
    client: Client, settings: Any, unloadable_model: ModelVersion
) -> None:
    settings.GENERATION_TIME_LIMIT_S = 2
    settings.TRUSTED_PROXIES = ["10.0.0.1"]  # the test client's 127.0.0.1 is no proxy now

    response, waited = _refusal_after_queueing_elsewhere(client, queued_s=5)

    assert response.status_code == 503
    assert waited >= 1.5  # it queued for its own full limit: the stamp was ignored


def test_a_request_too_big_for_the_time_left_is_refused_without_waiting() -> None:
    admission._slots.record(units=1, seconds=0.5)  # recent requests: half a second per unit
    with _SlotHolder():
        started = time.monotonic()
        with (
            pytest.raises(admission.Overloaded) as refused,
            admission.generation_slot(deadline=time.monotonic() + 5, units=16 * 16),
        ):
            pass
    assert time.monotonic() - started < 0.5
    assert refused.value.retry_after_s >= 128


def _gone(connection: socket.socket) -> Any:
    """How the view asks about its gunicorn socket."""
    return admission.arrival_of(_with_socket(connection)).client_gone


def _with_socket(connection: socket.socket) -> Any:
    from django.test import RequestFactory

    return RequestFactory().get("/", **{"gunicorn.socket": connection})


def test_the_deadline_passes_when_the_client_closes_its_connection() -> None:
    server_side, client_side = socket.socketpair()
    deadline = admission.ClientDeadline(time.monotonic() + 60, _gone(server_side))
    try:
        assert not time.monotonic() >= deadline
        assert deadline - time.monotonic() > 59  # still a plain number to compute with
        client_side.close()
        assert time.monotonic() >= deadline
        assert deadline.client_gone()
    finally:
        server_side.close()


def test_a_client_still_waiting_keeps_its_deadline() -> None:
    server_side, client_side = socket.socketpair()
    deadline = admission.ClientDeadline(time.monotonic() + 60, _gone(server_side))
    try:
        client_side.sendall(b"GET / HTTP/1.1\r\n")  # pipelined bytes are not a goodbye
        assert not time.monotonic() >= deadline
        assert not deadline.client_gone()
    finally:
        server_side.close()
        client_side.close()


def test_the_streamed_page_request_waits_for_a_slot_too(
    client: Client, settings: Any, unloadable_model: ModelVersion
) -> None:
    settings.GENERATION_TIME_LIMIT_S = 1
    with _SlotHolder():
        response = client.post(
            "/api/generate/stream", {"lines": 1}, content_type="application/json"
        )
    assert response.status_code == 503
    assert int(response["Retry-After"]) == response.json()["retry_after"] >= 1


def test_a_stream_frees_its_slot_when_closed_without_being_read(
    client: Client, settings: Any
) -> None:
    settings.GENERATION_TIME_LIMIT_S = 30
    response = client.post(
        "/api/generate/stream", {"lines": 2, "candidates": 1}, content_type="application/json"
    )
    assert response.status_code == 200
    response.close()  # the server closes a response whose client went away before reading
    entered = threading.Event()
    _enter_slot(entered, deadline_s=2)  # the only slot is free again
    assert entered.is_set()

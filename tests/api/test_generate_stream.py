"""POST /api/generate/stream: the verse line by line as newline-delimited JSON."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from django.test import Client, override_settings

from generator import limits, serving
from generator.ml.batching import StreamScheduler
from generator.ml.streams import SamplingControls, StreamRequest

pytestmark = pytest.mark.django_db(transaction=True)


def _stream(client: Client, **body: Any) -> Any:
    return client.post("/api/generate/stream", body, content_type="application/json")


def _events(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def test_each_chosen_line_arrives_before_the_whole_answer(client: Client) -> None:
    response = _stream(client, prefix="Late night", lines=4, candidates=2, seed=21)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    events = _events(response)
    progress = [event["lines"] for event in events[:-1]]
    done = events[-1]["done"]
    assert [len(lines) for lines in progress] == list(range(1, len(done["lines"]) + 1))
    assert progress[-1] == done["lines"]
    assert progress[0][0].lower().startswith("late night")

    one_shot = client.post(
        "/api/generate",
        {"prefix": "Late night", "lines": 4, "candidates": 2, "seed": 21},
        content_type="application/json",
    ).json()
    assert {k: v for k, v in done.items() if k != "elapsed_ms"} == {
        k: v for k, v in one_shot.items() if k != "elapsed_ms"
    }


def test_bad_input_is_refused_before_any_streaming_in_the_one_shape(client: Client) -> None:
    response = _stream(client, prefix="x", lines=0)
    assert response.status_code == 400
    assert not response.streaming
    body = response.json()
    assert set(body) == {"error", "fields"}
    assert "lines" in body["fields"]

    unknown = _stream(client, prefix="x", model=987654)
    assert unknown.status_code == 400
    assert "model" in unknown.json()["fields"]


@override_settings(ENGINE_MAX_STREAMS=6, ENGINE_RETRY_AFTER_S=3)
def test_a_busy_worker_refuses_the_stream_with_retry_after(client: Client) -> None:
    scheduler = serving.served_model().sampler
    assert isinstance(scheduler, StreamScheduler)
    context = scheduler.context_for(tuple(scheduler.vocabulary.encode("Never stop")))
    controls = SamplingControls(temperature=(0.0,), max_chars=2048)
    busy = scheduler.submit(
        [StreamRequest(context_ids=context, seed=i, controls=controls) for i in range(4)]
    )
    try:
        response = _stream(client, prefix="Wait", lines=2, candidates=4)
    finally:
        busy.cancel()
    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert set(response.json()) == {"error", "retry_after"}


def test_a_stream_the_client_drops_stops_its_generation(client: Client) -> None:
    scheduler = serving.served_model().sampler
    assert isinstance(scheduler, StreamScheduler)
    threads_before = set(threading.enumerate())
    response = _stream(client, prefix="Keep going", lines=16, candidates=8, seed=4)
    chunks = iter(response.streaming_content)
    first = json.loads(next(chunks))
    assert len(first["lines"]) == 1
    writers = [
        thread
        for thread in threading.enumerate()
        if thread not in threads_before and thread.name == "raplyrics-stream"
    ]
    assert len(writers) == 1
    steps_at_close = scheduler.steps
    response.close()  # what the WSGI server does when the client has gone

    # The writer ends once the line being written is chosen. (An empty queue alone does not
    # show that: a line's next round may be about to submit its candidates.)
    writers[0].join(timeout=60)
    assert not writers[0].is_alive(), "the writing went on after its reader went away"
    steps_after_stop = scheduler.steps
    time.sleep(0.5)
    assert scheduler.queued_streams == 0
    assert scheduler.steps == steps_after_stop
    # At most the line being written finishes (3 rounds of at most LINE_MAX_CHARS steps); the
    # 15 lines left would take hundreds of steps more.
    assert steps_after_stop - steps_at_close <= 3 * limits.LINE_MAX_CHARS

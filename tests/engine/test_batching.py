"""A worker's stream scheduler: concurrent requests share batches, the queue is bounded, callers
who leave stop their streams, and a stream's tokens never depend on its batch."""

from __future__ import annotations

import time

import numpy as np
import pytest

from generator.ml.batching import EngineBusy, JobCancelled, StreamScheduler
from generator.ml.engine import ENGINE_BACKENDS, Engine
from generator.ml.lyrics_writer import write_lyrics
from generator.ml.streams import SamplingControls, StreamRequest, prepare_prefix


@pytest.fixture(scope="module", params=ENGINE_BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Both backends: streams join and leave the compiled step's padded batches too."""
    return Engine.pretrained(backend=request.param)


def requests_for(
    engine: Engine, prefix: str, seeds: range, **controls: object
) -> list[StreamRequest]:
    context = engine.context_for(prepare_prefix(prefix, engine.vocabulary).token_ids)
    chosen = SamplingControls.of(**{"temperature": 0.8, "max_chars": 60, **controls})  # type: ignore[arg-type]
    return [StreamRequest(context_ids=context, seed=seed, controls=chosen) for seed in seeds]


def test_requests_arriving_together_share_batches_and_keep_their_own_tokens(
    engine: Engine,
) -> None:
    scheduler = StreamScheduler(engine)
    jobs = {
        "a": requests_for(engine, "I came up from the bottom", range(4)),
        "b": requests_for(engine, "Money on my mind", range(10, 14), top_k=8),
        "c": requests_for(engine, "", range(20, 24), temperature=[0.3, 1.0]),
    }
    # Submitted the way concurrent request threads do: without waiting for one another.
    submitted = {name: scheduler.submit(requests) for name, requests in jobs.items()}
    results = {name: job.wait(timeout=60) for name, job in submitted.items()}
    assert scheduler.largest_batch > 4  # streams of different requests stepped together
    for name, requests in jobs.items():
        batched, alone = results[name], engine.generate_streams(requests)
        assert batched == alone
        # A batch's matrix products may round differently: the same probabilities, to 1e-5.
        assert isinstance(batched, list)
        for ours, reference in zip(batched, alone, strict=True):
            assert np.allclose(ours.log_probs, reference.log_probs, atol=1e-5)
    scheduler.close()


def test_a_full_queue_turns_a_request_away_at_once_with_a_retry_delay(engine: Engine) -> None:
    scheduler = StreamScheduler(engine, max_streams=6, retry_after_s=3)
    running = scheduler.submit(requests_for(engine, "Hold on", range(4), max_chars=400))
    started = time.monotonic()
    with pytest.raises(EngineBusy, match="limit is 6") as refused:
        scheduler.submit(requests_for(engine, "Wait", range(3)))
    assert refused.value.retry_after_s == 3
    assert time.monotonic() - started < 0.5
    assert len(running.wait(timeout=60)) == 4
    assert scheduler.queued_streams == 0
    assert len(scheduler.submit(requests_for(engine, "Wait", range(3))).wait(timeout=60)) == 3
    scheduler.close()


def test_a_cancelled_job_leaves_the_batch_and_frees_its_place(engine: Engine) -> None:
    scheduler = StreamScheduler(engine, max_streams=8)
    tokens_heard = []
    # Greedy from this prefix loops on "the state of the state ..." and never draws `<s>`.
    long_job = scheduler.submit(
        requests_for(engine, "Never stop", range(4), max_chars=2048, temperature=0.0),
        on_token=lambda stream, token: tokens_heard.append(token),
    )
    other = scheduler.submit(requests_for(engine, "Short one", range(2), max_chars=20))
    assert len(other.wait(timeout=30)) == 2
    long_job.cancel()
    with pytest.raises(JobCancelled):
        long_job.wait(timeout=10)
    heard_at_cancel = len(tokens_heard)
    assert 0 < heard_at_cancel < 4 * 2048
    time.sleep(0.2)
    assert len(tokens_heard) == heard_at_cancel
    assert scheduler.queued_streams == 0
    scheduler.close()


def test_a_listener_that_fails_ends_its_own_job_only(engine: Engine) -> None:
    scheduler = StreamScheduler(engine)

    def broken_listener(stream: int, token: int) -> None:
        raise BrokenPipeError("the reader went away")

    doomed = scheduler.submit(requests_for(engine, "Gone", range(3)), on_token=broken_listener)
    healthy = scheduler.submit(requests_for(engine, "Here", range(3)))
    with pytest.raises(JobCancelled):
        doomed.wait(timeout=30)
    assert healthy.wait(timeout=30) == engine.generate_streams(
        requests_for(engine, "Here", range(3))
    )
    scheduler.close()


def test_the_lyrics_writer_writes_the_same_verse_through_the_scheduler(engine: Engine) -> None:
    scheduler = StreamScheduler(engine)
    alone = write_lyrics(sampler=engine, prefix="Out the window", lines=3, seed=5)
    batched = write_lyrics(sampler=scheduler, prefix="Out the window", lines=3, seed=5)
    assert batched.lines == alone.lines
    assert len(alone.lines) == 3
    scheduler.close()


def test_a_closed_scheduler_refuses_new_jobs_but_finishes_its_own(engine: Engine) -> None:
    scheduler = StreamScheduler(engine)
    job = scheduler.submit(requests_for(engine, "Last call", range(2)))
    scheduler.close()
    assert len(job.wait(timeout=30)) == 2
    with pytest.raises(EngineBusy):
        scheduler.submit(requests_for(engine, "Too late", range(1)))

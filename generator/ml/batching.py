"""One batch for a worker's streams: the candidates of a request and requests arriving together.

A `StreamScheduler` owns one `Engine` and one thread that steps a `StreamBatch`. Callers (the
request threads of a gunicorn worker) submit jobs, each a list of stream requests; between two
steps the thread admits waiting jobs into the running batch (each with its own context and
phase), so streams join and leave a batch freely and a stream's tokens never depend on its
neighbours (its seed decides them). A job's outputs come back when its last stream stops.

The queue is bounded in streams (waiting + running): a job that would pass `max_streams` is
refused at once with `EngineBusy` (the API answers 503 with Retry-After) instead of waiting behind
work it cannot overtake. A caller that goes away cancels its job; its streams leave the batch at
the next step. An error while stepping fails the jobs in that batch only; the thread goes on with
the jobs still waiting.

The scheduler has the sampler interface the lyrics writer uses (`vocabulary`, `config`,
`end_id`, `generate_streams`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from generator.ml.config import MLError
from generator.ml.engine import Engine, StreamBatch
from generator.ml.streams import (
    MAX_STREAMS,
    SamplingError,
    StreamOutput,
    StreamRequest,
    check_seed,
)

TokenListener = Callable[[int, int], None]  # (stream index in the job, token id)


class EngineBusy(MLError):
    """The worker's stream queue is full; `retry_after_s` says when to try again."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class JobCancelled(MLError):
    """The job was cancelled (its caller went away) before its streams finished."""


@dataclass(eq=False)
class Job:
    """Streams submitted together; `wait()` gives their outputs in request order."""

    requests: tuple[StreamRequest, ...]
    on_token: TokenListener | None = None
    outputs: list[StreamOutput | None] = field(default_factory=list)
    remaining: int = 0
    error: BaseException | None = None
    cancelled: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.outputs = [None] * len(self.requests)
        self.remaining = len(self.requests)

    def cancel(self) -> None:
        """Stop the job's streams at the next step (a caller that has gone away)."""
        self.cancelled = True

    def wait_done(self, timeout: float | None = None) -> bool:
        """Wait until the job has finished, failed or been cancelled; never raises."""
        return self.done.wait(timeout)

    def wait(self, timeout: float | None = None) -> list[StreamOutput]:
        if not self.done.wait(timeout):
            self.cancel()
            raise TimeoutError("the streams did not finish in time")
        if self.error is not None:
            raise self.error
        return [output for output in self.outputs if output is not None]


class StreamScheduler:
    """A worker's batching sampler over one engine (module docstring)."""

    def __init__(
        self, engine: Engine, *, max_streams: int = 64, max_batch: int = 32, retry_after_s: int = 2
    ) -> None:
        self.engine = engine
        self.vocabulary = engine.vocabulary
        self.config = engine.config
        self.end_id = engine.end_id
        self.max_streams = max_streams
        self.max_batch = max_batch
        self.retry_after_s = retry_after_s
        self._condition = threading.Condition()
        self._waiting: deque[Job] = deque()
        self._admitted = 0  # streams waiting or running
        self._thread: threading.Thread | None = None
        self._closed = False
        self.steps = 0
        self.largest_batch = 0

    @property
    def compilations(self) -> int:
        return self.engine.compilations

    def context_for(self, prefix_ids: tuple[int, ...]) -> tuple[int, ...]:
        return self.engine.context_for(prefix_ids)

    def warm_up(self, *, streams: Sequence[int] = (1,), max_chars: int = 120) -> int:
        return self.engine.warm_up(streams=streams, max_chars=max_chars)

    @property
    def queued_streams(self) -> int:
        with self._condition:
            return self._admitted

    def submit(
        self, requests: Sequence[StreamRequest], *, on_token: TokenListener | None = None
    ) -> Job:
        if not 1 <= len(requests) <= MAX_STREAMS:
            raise SamplingError(f"give 1 to {MAX_STREAMS} streams, got {len(requests)}")
        classes = self.engine.network.num_classes
        for request in requests:
            check_seed(request.seed)
            if any(not 0 <= token < classes for token in request.context_ids):
                raise SamplingError(f"context token ids must be in 0..{classes - 1}")
        job = Job(requests=tuple(requests), on_token=on_token)
        with self._condition:
            if self._closed:
                raise EngineBusy(
                    "this model is being replaced; try again", retry_after_s=self.retry_after_s
                )
            if self._admitted + len(requests) > self.max_streams:
                raise EngineBusy(
                    f"this worker is generating {self._admitted} streams, its limit is "
                    f"{self.max_streams}; try again in {self.retry_after_s} s",
                    retry_after_s=self.retry_after_s,
                )
            self._admitted += len(requests)
            self._waiting.append(job)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="raplyrics-streams", daemon=True
                )
                self._thread.start()
            self._condition.notify()
        return job

    def generate_streams(
        self, requests: Sequence[StreamRequest], *, on_token: TokenListener | None = None
    ) -> list[StreamOutput]:
        """Submit and wait: outputs in request order (the sampler interface)."""
        job = self.submit(requests, on_token=on_token)
        try:
            return job.wait()
        finally:
            job.cancel()  # no-op once done; stops the streams if this thread is interrupted

    def close(self) -> None:
        """Take no new jobs; the thread ends once the jobs it has are done."""
        with self._condition:
            self._closed = True
            self._condition.notify()

    # -- the stepping thread -------------------------------------------------------------------

    def _finish(self, job: Job, error: BaseException | None = None) -> None:
        if job.done.is_set():
            return
        job.error = error
        with self._condition:
            self._admitted -= len(job.requests)
        job.done.set()

    def _admit(self, running: int) -> list[Job] | None:
        """Jobs to add to the batch now (waits while idle); None: closed and idle, stop."""
        admitted: list[Job] = []
        with self._condition:
            while not self._waiting and running == 0:
                if self._closed:
                    self._thread = None
                    return None
                self._condition.wait()
            while self._waiting:
                job = self._waiting[0]
                size = len(job.requests)
                if running and running + size > self.max_batch:
                    break
                self._waiting.popleft()
                admitted.append(job)
                running += size
        return admitted

    def _run(self) -> None:
        batch = StreamBatch(self.engine)
        jobs: dict[Job, None] = {}
        while True:
            new = self._admit(len(batch))
            if new is None:
                return
            try:
                live = [job for job in new if not job.cancelled]
                for job in new:
                    if job.cancelled:
                        self._finish(job, JobCancelled("cancelled before it started"))
                    else:
                        jobs[job] = None
                batch.add(
                    [((job, index), r) for job in live for index, r in enumerate(job.requests)]
                )
                gone = [job for job in jobs if job.cancelled]
                if gone:
                    batch.drop({key for key in batch.keys if key[0] in gone})  # type: ignore[index]
                    for job in gone:
                        del jobs[job]
                        self._finish(job, JobCancelled("cancelled"))
                self.largest_batch = max(self.largest_batch, len(batch))
                finished = batch.step(self._listen)
                self.steps += 1
                for key, output in finished:
                    job, index = cast("tuple[Job, int]", key)
                    job.outputs[index] = output
                    job.remaining -= 1
                    if job.remaining == 0:
                        del jobs[job]
                        self._finish(job)
            except Exception as error:  # fail this batch's jobs only, keep serving
                for job in [*jobs, *new]:
                    self._finish(job, error)
                jobs.clear()
                batch = StreamBatch(self.engine)

    @staticmethod
    def _listen(key: object, token: int) -> None:
        job, index = cast("tuple[Job, int]", key)
        if job.on_token is not None and not job.cancelled:
            try:
                job.on_token(index, token)
            except Exception:  # a listener's failure ends its own job only
                job.cancel()

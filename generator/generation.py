"""The generation service: one request for lyrics in, tidy lines and their audit trail out.

The API, the legacy route and the benchmarks call `generate_lyrics` with one typed request (the
model core's `LyricsRequest`, built once by the API after validating its input); it picks the
served model (generator.serving), runs the "better lyrics" writer (generator.ml.lyrics_writer)
under a time limit, and shapes the result: the lines, each line's syllables and its takes (the
other acceptable candidates, best first) for co-writing (generator.cowriting).
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings

from generator import limits, serving
from generator.admission import Arrival
from generator.ml.lyrics_writer import LyricsRequest

if TYPE_CHECKING:
    from generator.ml.cowrite import Take


class GenerationError(Exception):
    """Base of the errors a generation request can meet; messages are one readable line."""


class UnknownModel(GenerationError):
    pass


class GenerationTimeout(GenerationError):
    pass


class GenerationUnavailable(GenerationError):
    pass


class GenerationBusy(GenerationUnavailable):
    """The worker's stream queue is full; try again after `retry_after_s`."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class GeneratedLyrics:
    """What a generation request answers: the writer's verse (`lyrics_writer.LyricsResult`) with
    the model that wrote it and the time it took."""

    lyrics: str
    lines: tuple[str, ...]
    model_id: int | None
    model_name: str
    seed: int
    elapsed_ms: int
    prefix_notes: tuple[str, ...]
    candidates: list[dict[str, Any]] = field(default_factory=list)
    syllables: tuple[int, ...] = ()  # per line
    takes: tuple[tuple[Take, ...], ...] = ()  # per line, best first; () for the prefix's lines


def time_limit_s() -> float:
    return float(settings.GENERATION_TIME_LIMIT_S)


def writing_deadline(arrival: Arrival | None, *, loading_from: float) -> float:
    """When a writing must stop: the time limit counted from the request's `arrival` (now when
    none), not counting the model's loading, which began at `loading_from` (monotonic)."""
    arrival = arrival or Arrival(at=loading_from)
    return arrival.deadline(time_limit_s() + (time.monotonic() - loading_from))


@contextlib.contextmanager
def writing_errors(*, what: str, ask_for_fewer: str) -> Iterator[None]:
    """The model core's failures while writing, as the generation errors the API answers:
    the engine's queue full (busy), the deadline passed (timeout: "`what` took longer than …;
    ask for fewer `ask_for_fewer`"), anything else the core refuses (unavailable)."""
    from generator.ml.batching import EngineBusy
    from generator.ml.config import MLError
    from generator.ml.lyrics_writer import WritingTimeout

    try:
        yield
    except EngineBusy as error:
        raise GenerationBusy(str(error), retry_after_s=error.retry_after_s) from None
    except WritingTimeout:
        raise GenerationTimeout(
            f"{what} took longer than {time_limit_s():g} s; ask for fewer {ask_for_fewer}"
        ) from None
    except MLError as error:
        raise GenerationUnavailable(str(error)) from None


def served(version_id: int | None) -> serving.ServedModel:
    """The served model (the given version, else the active one), or the generation error that
    says why not."""
    from generator.ml.config import MLError

    try:
        return serving.served_model(version_id=version_id)
    except serving.UnknownModelVersion as error:
        raise UnknownModel(str(error)) from None
    except (serving.ModelUnavailable, MLError) as error:  # MLError: a malformed config file
        raise GenerationUnavailable(str(error)) from None


def generate_lyrics(
    *,
    params: LyricsRequest,
    debug: bool = False,
    version_id: int | None = None,
    arrival: Arrival | None = None,
    on_lines: Callable[[tuple[str, ...]], None] | None = None,
) -> GeneratedLyrics:
    """Write lyrics with the served model (the given version, else the active one).

    The time limit counts from the request's `arrival` (generator.admission: time spent waiting
    counts, and the writing stops if the client leaves); loading a model does not count.
    `on_lines(lines)` hears the verse's lines so far each time a line is chosen; an exception
    it raises (the page's reader went away) stops the writing and propagates. `debug` keeps
    every candidate's score breakdown in the result.
    """
    # Importing the model core (TensorFlow, the first time) and loading a model do not count.
    loading_from = time.monotonic()
    from generator.ml.cowrite import takes_of
    from generator.ml.lyrics_writer import write_request
    from generator.ml.syllables import line_syllables

    started = time.perf_counter()
    model = served(version_id)
    if params.seed is None:
        params = replace(params, seed=random.SystemRandom().randrange(limits.SEED_MAX))
    deadline = writing_deadline(arrival, loading_from=loading_from)
    with writing_errors(what="generation", ask_for_fewer="lines or candidates"):
        written = write_request(
            model.sampler,
            params,
            corpus_index=model.line_index,
            line_shape=model.line_shape,
            deadline=deadline,
            on_line=None if on_lines is None else lambda _, verse: on_lines(verse),
        )
    debug_dict = written.as_dict(debug=True) if debug else {}
    chosen_takes = [takes_of(choice) for choice in written.choices if choice.text is not None]
    # The verse starts with the prefix's whole lines (no takes), then the lines chosen.
    prefix_lines = len(written.lines) - len(chosen_takes)
    return GeneratedLyrics(
        lyrics=written.lyrics,
        lines=written.lines,
        model_id=model.version_id,
        model_name=model.name,
        seed=written.seed,
        elapsed_ms=round((time.perf_counter() - started) * 1000),
        prefix_notes=written.notes,
        candidates=debug_dict.get("choices", []),
        syllables=tuple(line_syllables(line) for line in written.lines),
        takes=((),) * prefix_lines + tuple(chosen_takes),
    )


class StreamClosed(GenerationError):
    """The reader of a streamed generation went away."""


_END = object()


def stream_lyrics(
    *,
    params: LyricsRequest,
    debug: bool = False,
    version_id: int | None = None,
    arrival: Arrival | None = None,
) -> Iterator[tuple[str, Any]]:
    """`generate_lyrics` as events: ("lines", verse so far) each time a line is chosen, then
    ("done", GeneratedLyrics) or ("error", GenerationError).

    The model is resolved first, so an unknown or unavailable model raises before any event.
    The writing runs in a thread of its own; closing the iterator (the client went away) stops
    it when the line being written is chosen.
    """
    served(version_id)
    events: queue.SimpleQueue[Any] = queue.SimpleQueue()
    closed = threading.Event()

    def on_lines(lines: tuple[str, ...]) -> None:
        if closed.is_set():
            raise StreamClosed("the reader went away")
        events.put(("lines", lines))

    def write() -> None:
        from django.db import connections

        try:
            result = generate_lyrics(
                params=params,
                debug=debug,
                version_id=version_id,
                arrival=arrival,
                on_lines=on_lines,
            )
            events.put(("done", result))
        except StreamClosed:
            pass
        except GenerationError as error:
            events.put(("error", error))
        except Exception as error:  # a bug must still end the stream, never hang it
            events.put(("error", GenerationUnavailable(f"generation failed: {error}")))
        finally:
            connections.close_all()
            events.put(_END)

    threading.Thread(target=write, name="raplyrics-stream", daemon=True).start()
    try:
        while (event := events.get()) is not _END:
            yield event
    finally:
        closed.set()

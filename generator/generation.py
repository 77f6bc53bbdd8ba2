"""The generation service: one request for lyrics in, tidy lines and their audit trail out.

The API, the legacy route and the benchmarks call `generate_lyrics`; it picks the served model
(generator.serving), runs the "better lyrics" writer (generator.ml.lyrics_writer) under a time
limit, and shapes the result.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from generator import limits, serving

if TYPE_CHECKING:
    from generator.ml.lyrics_writer import LineChoice


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
class LyricsParams:
    prefix: str = ""
    lines: int = limits.LINES_DEFAULT
    temperatures: tuple[float, ...] = limits.TEMPERATURE_DEFAULT
    top_k: int | None = None
    top_p: float | None = None
    candidates: int = limits.CANDIDATES_DEFAULT
    seed: int | None = None
    debug: bool = False


@dataclass(frozen=True)
class LyricsResult:
    lyrics: str
    lines: tuple[str, ...]
    model_id: int | None
    model_name: str
    seed: int
    elapsed_ms: int
    prefix_notes: tuple[str, ...]
    candidates: list[dict[str, Any]] = field(default_factory=list)


def time_limit_s() -> float:
    return float(getattr(settings, "GENERATION_TIME_LIMIT_S", 20.0))


def generate_lyrics(
    *,
    params: LyricsParams,
    version_id: int | None = None,
    on_line: Callable[[int, str | None], None] | None = None,
) -> LyricsResult:
    """Write lyrics with the served model (the given version, else the active one).

    `on_line(index, text)` hears each line as soon as it is chosen (text None: left out); an
    exception it raises (the page's reader went away) stops the writing and propagates.
    """
    from generator.ml.batching import EngineBusy
    from generator.ml.config import MLError
    from generator.ml.lyrics_writer import WritingTimeout, write_lyrics

    started = time.perf_counter()
    try:
        served = serving.served_model(version_id=version_id)
    except serving.UnknownModelVersion as error:
        raise UnknownModel(str(error)) from None
    except serving.ModelUnavailable as error:
        raise GenerationUnavailable(str(error)) from None
    seed = (
        params.seed if params.seed is not None else random.SystemRandom().randrange(limits.SEED_MAX)
    )
    limit = time_limit_s()
    try:
        written = write_lyrics(
            sampler=served.sampler,
            prefix=params.prefix,
            lines=params.lines,
            temperature=params.temperatures,
            top_k=params.top_k,
            top_p=params.top_p,
            candidates=params.candidates,
            seed=seed,
            corpus_index=served.line_index,
            max_line_chars=limits.LINE_MAX_CHARS,
            deadline=time.monotonic() + limit,
            on_line=_line_listener(on_line),
        )
    except EngineBusy as error:
        raise GenerationBusy(str(error), retry_after_s=error.retry_after_s) from None
    except WritingTimeout:
        raise GenerationTimeout(
            f"generation took longer than {limit:g} s; ask for fewer lines or candidates"
        ) from None
    except MLError as error:
        raise GenerationUnavailable(str(error)) from None
    debug_dict = written.as_dict(debug=True) if params.debug else {}
    return LyricsResult(
        lyrics=written.lyrics,
        lines=written.lines,
        model_id=served.version_id,
        model_name=served.name,
        seed=written.seed,
        elapsed_ms=round((time.perf_counter() - started) * 1000),
        prefix_notes=written.notes,
        candidates=debug_dict.get("choices", []),
    )


def _line_listener(
    on_line: Callable[[int, str | None], None] | None,
) -> Callable[[LineChoice], None] | None:
    if on_line is None:
        return None
    return lambda choice: on_line(choice.index, choice.text)

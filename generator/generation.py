"""The generation service: one request for lyrics in, tidy lines and their audit trail out.

The API, the legacy route and the benchmarks call `generate_lyrics`; it picks the served model
(generator.serving), runs the "better lyrics" writer (generator.ml.lyrics_writer) under a time
limit, and shapes the result.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from generator import limits, serving
from generator.admission import Arrival


class GenerationError(Exception):
    """Base of the errors a generation request can meet; messages are one readable line."""


class UnknownModel(GenerationError):
    pass


class GenerationTimeout(GenerationError):
    pass


class GenerationUnavailable(GenerationError):
    pass


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
    *, params: LyricsParams, version_id: int | None = None, arrival: Arrival | None = None
) -> LyricsResult:
    """Write lyrics with the served model (the given version, else the active one).

    The time limit counts from the request's `arrival` (generator.admission: time spent waiting
    counts, and the writing stops if the client leaves); loading a model does not count.
    """
    # Importing the model core (TensorFlow, the first time) and loading a model do not count.
    loading_from = time.monotonic()
    from generator.ml.config import MLError
    from generator.ml.lyrics_writer import WritingTimeout, write_lyrics

    started = time.perf_counter()
    try:
        served = serving.served_model(version_id=version_id)
    except serving.UnknownModelVersion as error:
        raise UnknownModel(str(error)) from None
    except (serving.ModelUnavailable, MLError) as error:  # MLError: a malformed config file
        raise GenerationUnavailable(str(error)) from None
    seed = (
        params.seed if params.seed is not None else random.SystemRandom().randrange(limits.SEED_MAX)
    )
    limit = time_limit_s()
    arrival = arrival or Arrival(at=loading_from)
    deadline = arrival.deadline(limit + (time.monotonic() - loading_from))
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
            deadline=deadline,
        )
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

"""The co-writing service: one move on a verse (rewrite the unlocked lines, rewrite one line,
continue) with the served model, under the generation time limit.

The API's co-write endpoints call `cowrite` with one typed `CowriteMove` (built once by the
serializer); the move itself is the model core's (generator.ml.cowrite). Errors are those of
generator.generation, plus `MoveRefused` when the move does not fit the verse.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from generator.admission import Arrival
from generator.generation import GenerationError, served, writing_deadline, writing_errors
from generator.ml.cowrite import (
    CowriteError,
    CowriteResult,
    DraftLine,
    ModelAids,
    Move,
    ShapeControls,
    continue_verse,
    rewrite_line,
    rewrite_unlocked,
)
from generator.ml.lyrics_writer import FALLBACK_LINE_SHAPE


class MoveRefused(GenerationError):
    """The move does not fit the verse (an index out of range, a locked line that is empty)."""


@dataclass(frozen=True)
class CowriteMove:
    """One co-writing move: which, on what verse, with what shape, from what seed."""

    kind: Move
    lines: tuple[DraftLine, ...]
    controls: ShapeControls
    index: int = 0  # the line to rewrite ("line")
    count: int = 1  # the lines to add ("continue")
    seed: int | None = None

    @property
    def lines_written(self) -> int:
        """How many lines the move writes: what admission weighs it by."""
        if self.kind == "line":
            return 1
        if self.kind == "continue":
            return self.count
        return sum(not line.locked for line in self.lines)

    @property
    def units(self) -> int:
        return max(1, self.lines_written) * self.controls.candidates


@dataclass(frozen=True)
class CowriteAnswer:
    result: CowriteResult
    model_id: int | None
    model_name: str
    elapsed_ms: int


def cowrite(
    *, move: CowriteMove, version_id: int | None = None, arrival: Arrival | None = None
) -> CowriteAnswer:
    """Make the move with the served model (the given version, else the active one).

    The time limit counts from the request's `arrival`, as for generate_lyrics; loading a
    model does not count.
    """
    loading_from = time.monotonic()
    started = time.perf_counter()
    model = served(version_id)
    aids = ModelAids(
        sampler=model.sampler,
        corpus_index=model.line_index,
        line_shape=model.line_shape or FALLBACK_LINE_SHAPE,
        deadline=writing_deadline(arrival, loading_from=loading_from),
    )
    with writing_errors(what="writing", ask_for_fewer="lines or takes"):
        try:
            result = _make(aids, move)
        except CowriteError as error:
            raise MoveRefused(str(error)) from None
    return CowriteAnswer(
        result=result,
        model_id=model.version_id,
        model_name=model.name,
        elapsed_ms=round((time.perf_counter() - started) * 1000),
    )


def _make(aids: ModelAids, move: CowriteMove) -> CowriteResult:
    lines: Sequence[DraftLine] = move.lines
    if move.kind == "line":
        return rewrite_line(
            aids, lines=lines, index=move.index, controls=move.controls, seed=move.seed
        )
    if move.kind == "continue":
        return continue_verse(
            aids, lines=lines, count=move.count, controls=move.controls, seed=move.seed
        )
    return rewrite_unlocked(aids, lines=lines, controls=move.controls, seed=move.seed)

"""Co-writing a verse with the model: rewrite the unlocked lines, rewrite one, continue.

A verse being co-written is a list of `DraftLine`s: each has its text, whether the writer locked
it (kept verbatim by every move) and whether a person wrote it. Three moves, each a plain function
that returns the whole verse as `WrittenLine`s:
- `rewrite_unlocked`: every unlocked line is written anew, first to last; locked lines stay;
- `rewrite_line`: one line is written anew given all the others;
- `continue_verse`: `count` lines are added at the end.

Each line written is chosen as `lyrics_writer.write_lyrics` chooses one (the same candidates,
scores, rejections, retry rounds and rhyme-aimed endings: `choose_line`), with what surrounds it:
- context: a verse model reads the lines before it (joined by newlines); a line model starts
  afresh after `<s>` (lyrics_writer's module docstring says why);
- rhyme partner under the scheme: the earlier partner when it has text, else the later one
  when it is settled (locked, or any line when only this one is written), so a line written
  before a locked line still rhymes with it;
- repetition and `repeats_verse`: against every other settled line of the verse, before and
  after it;
- `ShapeControls`: the rhyme scheme, an optional `SyllableRange` (the chooser's syllable term),
  one temperature ("safe" 0.1 to "wild" 2.0) and the candidates a line.

Each written line carries its takes: the acceptable candidates, best first (the chooser's pick
is take 0), one per distinct text, rejected ones left out, each with its syllables. Candidate
seeds derive from the move's seed and the line's position (`candidate_seed`), so the same verse,
move, seed and model give the same answer.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from generator.ml.config import MLError
from generator.ml.lyrics_writer import (
    DEFAULT_CANDIDATES,
    DEFAULT_MAX_LINE_CHARS,
    DEFAULT_RHYME_SCHEME,
    DEFAULT_WEIGHTS,
    FALLBACK_LINE_SHAPE,
    MAX_CANDIDATES,
    MAX_LINES,
    RHYME_SCHEMES,
    ChooserWeights,
    LineChoice,
    LineShape,
    RhymeScheme,
    WritingTimeout,
    _LineScorer,
    draw_line,
    partner_index,
)
from generator.ml.originality import CorpusLineIndex, normalise_line
from generator.ml.streams import (
    MAX_SEED,
    SamplingControls,
    StreamSampler,
    prepare_prefix,
)
from generator.ml.syllables import SyllableRange, line_syllables
from generator.ml.tidy import tidy_line

# The "safe — wild" control's ends and middle.
TEMPERATURE_SAFE, TEMPERATURE_WILD, TEMPERATURE_DEFAULT = 0.1, 2.0, 0.6
ROUNDS = 3
# A line kept in a verse may be longer than one the model writes: the first line of a verse is
# the writer's opening (up to 500 characters at the API) and the model's continuation of it.
MAX_KEPT_LINE_CHARS = 600

Move = Literal["rewrite", "line", "continue"]


class CowriteError(MLError):
    """A co-writing request does not fit the verse (an index out of range, an empty locked
    line, too many lines); the message says which."""


@dataclass(frozen=True)
class DraftLine:
    """One line of a verse being written: its text, locked (kept by every move), by a person."""

    text: str
    locked: bool = False
    by_person: bool = False


@dataclass(frozen=True)
class ShapeControls:
    """What every line written should be (module docstring)."""

    rhyme_scheme: RhymeScheme = DEFAULT_RHYME_SCHEME
    syllables: SyllableRange | None = None
    temperature: float = TEMPERATURE_DEFAULT
    candidates: int = DEFAULT_CANDIDATES

    def __post_init__(self) -> None:
        if self.rhyme_scheme not in RHYME_SCHEMES:
            raise CowriteError(
                f"rhyme_scheme must be one of {', '.join(RHYME_SCHEMES)}, got {self.rhyme_scheme!r}"
            )
        temperature = self.temperature
        if isinstance(temperature, bool) or not isinstance(temperature, int | float):
            raise CowriteError(f"temperature must be a number, got {temperature!r}")
        if not TEMPERATURE_SAFE <= temperature <= TEMPERATURE_WILD:
            raise CowriteError(
                f"temperature must be from {TEMPERATURE_SAFE} (safe) to {TEMPERATURE_WILD} "
                f"(wild), got {temperature}"
            )
        candidates = self.candidates
        if isinstance(candidates, bool) or not isinstance(candidates, int):
            raise CowriteError(f"candidates must be a whole number, got {candidates!r}")
        if not 1 <= candidates <= MAX_CANDIDATES:
            raise CowriteError(f"candidates must be from 1 to {MAX_CANDIDATES}, got {candidates}")


@dataclass(frozen=True)
class ModelAids:
    """What the served model brings to the chooser, and the caller's deadline."""

    sampler: StreamSampler
    corpus_index: CorpusLineIndex | None = None
    known_words: frozenset[str] = frozenset()
    line_shape: LineShape = FALLBACK_LINE_SHAPE
    weights: ChooserWeights = DEFAULT_WEIGHTS
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS
    deadline: float | None = None  # a time.monotonic() instant (lyrics_writer.write_lyrics)


@dataclass(frozen=True)
class Take:
    text: str
    syllables: int


@dataclass(frozen=True)
class WrittenLine:
    """A line of the verse after a move: `takes` (best first) only on the lines it wrote."""

    text: str
    syllables: int
    locked: bool = False
    by_person: bool = False
    written: bool = False  # written by this move
    takes: tuple[Take, ...] = ()


@dataclass(frozen=True)
class CowriteResult:
    lines: tuple[WrittenLine, ...]
    seed: int
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    choices: tuple[LineChoice, ...] = field(default=(), repr=False)

    @property
    def lyrics(self) -> str:
        return "\n".join(line.text for line in self.lines)


# -- checks --------------------------------------------------------------------------------------


def _check_verse(lines: Sequence[DraftLine], *, max_line_chars: int) -> None:
    if len(lines) > MAX_LINES:
        raise CowriteError(f"a verse has at most {MAX_LINES} lines; this one has {len(lines)}")
    for number, line in enumerate(lines, start=1):
        if "\n" in line.text or "\r" in line.text:
            raise CowriteError(f"line {number} holds a line break; send one line per entry")
        if len(line.text) > max_line_chars:
            raise CowriteError(
                f"line {number} is {len(line.text)} characters; the limit is {max_line_chars}"
            )
        if line.locked and not line.text.strip():
            raise CowriteError(f"line {number} is locked but empty; write it or unlock it")


def _check_seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise CowriteError(f"seed must be a whole number from 0 to 2**63-1, got {seed!r}")
    return seed


# -- one line -----------------------------------------------------------------------------------


def _context_ids(aids: ModelAids, before: Sequence[str]) -> list[int]:
    """What the line continues: the lines before it (verse models) or `<s>` (line models)."""
    sampler = aids.sampler
    start: list[int] = [] if sampler.config.single_text else [sampler.end_id]
    newline_id = sampler.vocabulary.token_to_id.get("\n")
    if newline_id is None:
        return start
    context = list(start)
    for line in before:
        context += prepare_prefix(line, sampler.vocabulary).token_ids
        context.append(newline_id)
    return context


def choose_line(
    aids: ModelAids,
    *,
    before: Sequence[str],
    others: Sequence[str],
    partner: str | None,
    controls: ShapeControls,
    seed: int,
    position: int,
) -> LineChoice:
    """Draw and score one line (the chooser of lyrics_writer, module docstring) given the
    lines before it, every other settled line (repetition) and its rhyme partner."""
    sampler = aids.sampler
    context = _context_ids(aids, before)
    scorer = _LineScorer(
        head="",
        partner=partner,
        verse=tuple(others),
        corpus_index=aids.corpus_index,
        known_words=aids.known_words,
        line_shape=aids.line_shape,
        weights=aids.weights,
        syllable_range=controls.syllables,
    )
    chosen, scored = draw_line(
        sampler,
        scorer=scorer,
        context=context,
        controls=SamplingControls(
            temperature=(controls.temperature,), max_chars=aids.max_line_chars, stop_at="newline"
        ),
        seed=seed,
        line=position,
        candidates=controls.candidates,
        rounds=ROUNDS,
        can_aim=not sampler.config.word_level,
        check_time=lambda: _check_time(aids, position),
    )
    final = tuple(replace(d.score, chosen=True) if d is chosen else d.score for d in scored)
    return LineChoice(index=position, text=chosen.score.text if chosen else None, candidates=final)


def _check_time(aids: ModelAids, position: int) -> None:
    if aids.deadline is not None and time.monotonic() >= aids.deadline:
        raise WritingTimeout(f"stopped at line {position + 1}: out of time")


def takes_of(choice: LineChoice) -> tuple[Take, ...]:
    """The acceptable candidates, best first (ties: the earlier), one per distinct text."""
    acceptable = [c for c in choice.candidates if c.total is not None]
    ordered = sorted(acceptable, key=lambda c: (not c.chosen, -(c.total or 0.0)))
    seen: set[str] = set()
    takes = []
    for candidate in ordered:
        key = normalise_line(candidate.text)
        if key in seen:
            continue
        seen.add(key)
        takes.append(Take(text=candidate.text, syllables=candidate.syllables))
    return tuple(takes)


# -- moves ---------------------------------------------------------------------------------------


def _later_partner(scheme: RhymeScheme, position: int, length: int) -> int | None:
    """The line after `position` that the scheme pairs with it, if the verse reaches it."""
    for later in range(position + 1, min(length, position + 3)):
        if partner_index(scheme, later) == position:
            return later
    return None


def _write_positions(
    aids: ModelAids,
    *,
    lines: Sequence[DraftLine],
    positions: Sequence[int],
    controls: ShapeControls,
    seed: int | None,
) -> CowriteResult:
    """Write the lines at `positions` (ascending) in order; every other line stays."""
    started = time.perf_counter()
    _check_verse(lines, max_line_chars=MAX_KEPT_LINE_CHARS)
    move_seed = _check_seed(seed)
    texts: list[str] = [tidy_line(line.text) if line.text.strip() else "" for line in lines]
    settled = [index not in set(positions) for index in range(len(lines))]
    written: dict[int, tuple[Take, ...]] = {}
    choices: list[LineChoice] = []
    notes: list[str] = []
    for position in positions:
        earlier = partner_index(controls.rhyme_scheme, position)
        later = _later_partner(controls.rhyme_scheme, position, len(lines))
        if earlier is not None and earlier >= 0 and texts[earlier]:
            partner: str | None = texts[earlier]
        elif later is not None and settled[later] and texts[later]:
            partner = texts[later]
        else:
            partner = None
        others = [
            text
            for index, text in enumerate(texts)
            if index != position and text and settled[index]
        ]
        choice = choose_line(
            aids,
            before=[text for text in texts[:position] if text],
            others=others,
            partner=partner,
            controls=controls,
            seed=move_seed,
            position=position,
        )
        choices.append(choice)
        settled[position] = True
        if choice.text is None:
            notes.append(
                f"line {position + 1} unchanged: all {len(choice.candidates)} candidates "
                "were rejected"
            )
            continue
        texts[position] = choice.text
        written[position] = takes_of(choice)
    # Lines the move did not write come back exactly as sent (the tidied form was context only).
    final_texts = [
        texts[index] if index in written else line.text for index, line in enumerate(lines)
    ]
    result_lines = tuple(
        WrittenLine(
            text=final_texts[index],
            syllables=line_syllables(final_texts[index]),
            locked=line.locked,
            by_person=line.by_person and index not in written,
            written=index in written,
            takes=written.get(index, ()),
        )
        for index, line in enumerate(lines)
    )
    return CowriteResult(
        lines=result_lines,
        seed=move_seed,
        notes=tuple(notes),
        elapsed_s=time.perf_counter() - started,
        choices=tuple(choices),
    )


def rewrite_unlocked(
    aids: ModelAids,
    *,
    lines: Sequence[DraftLine],
    controls: ShapeControls,
    seed: int | None = None,
) -> CowriteResult:
    """Write every unlocked line anew, first to last; locked lines stay verbatim."""
    if not lines:
        raise CowriteError("the verse has no lines; add lines or continue it")
    positions = [index for index, line in enumerate(lines) if not line.locked]
    return _write_positions(aids, lines=lines, positions=positions, controls=controls, seed=seed)


def rewrite_line(
    aids: ModelAids,
    *,
    lines: Sequence[DraftLine],
    index: int,
    controls: ShapeControls,
    seed: int | None = None,
) -> CowriteResult:
    """Write line `index` (0-based) anew given every other line of the verse."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(lines):
        last = f"0 to {len(lines) - 1}" if lines else "none: the verse is empty"
        raise CowriteError(f"line index {index!r} is out of range; the verse's lines are {last}")
    if lines[index].locked:
        raise CowriteError(f"line {index + 1} is locked; unlock it to rewrite it")
    return _write_positions(aids, lines=lines, positions=[index], controls=controls, seed=seed)


def continue_verse(
    aids: ModelAids,
    *,
    lines: Sequence[DraftLine],
    count: int,
    controls: ShapeControls,
    seed: int | None = None,
) -> CowriteResult:
    """Add `count` lines at the end of the verse."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise CowriteError(f"count must be a whole number from 1, got {count!r}")
    if len(lines) + count > MAX_LINES:
        raise CowriteError(f"a verse has at most {MAX_LINES} lines; {len(lines)} + {count} is more")
    grown = [*lines, *(DraftLine(text="") for _ in range(count))]
    positions = list(range(len(lines), len(grown)))
    return _write_positions(aids, lines=grown, positions=positions, controls=controls, seed=seed)

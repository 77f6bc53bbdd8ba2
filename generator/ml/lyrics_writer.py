""" "Better lyrics": a verse written line by line, each line the best of several candidates.

The first line continues the user's prefix (its last, unfinished line); each later line continues
the verse so far. For each line, `candidates` streams are drawn in one batch from the sampler
(any `streams.StreamSampler`: the NumPy `Engine`, a worker's `StreamScheduler`, the Keras
`Sampler`), stopping at a newline, or at `<s>` for models without a newline token (such as the
pretrained one, where `<s>` also separates lines in the context), and every candidate is scored:

Hard rejections (a rejected candidate is never chosen):
- `in_corpus`: the line, normalised (`originality.normalise_line`), is a line of the model's
  training corpus (when a `CorpusLineIndex` is given): the model recited it;
- `repeats_verse`: the line, normalised, equals an earlier line of this verse (prefix included);
- `empty`: the line has no letter.

Score of the others: `total = shape + RHYME_WEIGHT * rhyme`, where
- `shape` starts at 1.0 and loses
  - `SHORT_PENALTY` per word under `MIN_WORDS`, `LONG_PENALTY` per word over `MAX_WORDS`;
  - `BROKEN_WORD_PENALTY` per broken word: a word neither known (CMU dictionary, the corpus's
    words, the caller's `known_words`) nor plausible (letters only, a vowel unless it is a short
    sound like "brr", no letter five times running, no run of five consonants, at most 18
    letters);
  - `TRUNCATED_PENALTY` when the line hit `max_line_chars` before its end;
- `rhyme` is `rhyme.line_rhyme(candidate, previous line)` in [0, 1] (CMU dictionary, spelling
  when a word is unknown); 0 for a first line with no line before it.
The highest total wins; ties go to the earlier candidate. When every candidate is rejected, a new
round is drawn with fresh seeds at a temperature raised by `RETRY_TEMPERATURE_STEP` (up to
`rounds` rounds); a line still without an acceptable candidate is left out and a note says so.

Chosen lines are tidied (`tidy.tidy_line`). Temperatures cycle per line (the original project's
0.5/0.6/0.7). Each candidate's seed derives from the request's seed, the line, the round and the
candidate number, so the same seed, model and request give the same verse. Every candidate's
score breakdown is in `LyricsResult.choices` (the API shows it with `debug=true`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any

import pronouncing

from generator.ml.config import MLError
from generator.ml.originality import CorpusLineIndex, normalise_line
from generator.ml.rhyme import RhymeMethod, line_rhyme
from generator.ml.streams import (
    MAX_SEED,
    PrefixFix,
    PreparedPrefix,
    SamplingControls,
    StopReason,
    StreamRequest,
    StreamSampler,
    prepare_prefix,
)
from generator.ml.tidy import tidy_line

DEFAULT_TEMPERATURES: tuple[float, ...] = (0.5, 0.6, 0.7)
MAX_LINES = 16
MAX_CANDIDATES = 16
# A step costs about linearly in the candidates on CPU: 4 keeps the default request fast.
DEFAULT_CANDIDATES = 4
DEFAULT_MAX_LINE_CHARS = 100
MIN_WORDS = 3
MAX_WORDS = 14
SHORT_PENALTY = 0.25
LONG_PENALTY = 0.1
BROKEN_WORD_PENALTY = 0.75
TRUNCATED_PENALTY = 0.5
RHYME_WEIGHT = 0.75
RETRY_TEMPERATURE_STEP = 0.15

_WORD_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_LETTER_RE = re.compile(r"[A-Za-z]")
_VOWEL_RE = re.compile(r"[aeiouy]")
_LONG_REPEAT_RE = re.compile(r"(.)\1{4}")
_DOUBLED_RE = re.compile(r"(.)\1")
_CONSONANT_RUN_RE = re.compile(r"[bcdfghjklmnpqrstvwxz]{5}")


class WritingTimeout(MLError):
    """The verse was not finished before the caller's deadline."""


class LyricsRequestError(MLError):
    """A lyrics request is out of range (lines, candidates, rounds, seed)."""


@dataclass(frozen=True)
class CandidateScore:
    """One candidate line and why it scored what it did."""

    text: str
    seed: int
    temperature: float
    round: int
    stop_reason: StopReason
    words: int
    broken_words: tuple[str, ...]
    truncated: bool
    shape: float
    rhyme: float
    rhyme_method: RhymeMethod
    rejected: tuple[str, ...]
    total: float | None  # None when rejected
    chosen: bool = False


@dataclass(frozen=True)
class LineChoice:
    index: int
    text: str | None  # None: no acceptable candidate, the line was left out
    candidates: tuple[CandidateScore, ...]


@dataclass(frozen=True)
class LyricsResult:
    lines: tuple[str, ...]
    prefix: PreparedPrefix
    seed: int
    choices: tuple[LineChoice, ...]
    notes: tuple[str, ...]
    elapsed_s: float

    @property
    def lyrics(self) -> str:
        return "\n".join(self.lines)

    def as_dict(self, *, debug: bool = False) -> dict[str, Any]:
        """JSON-ready: lines, lyrics, seed, prefix fixes, notes; candidates when `debug`."""
        out: dict[str, Any] = {
            "lyrics": self.lyrics,
            "lines": list(self.lines),
            "seed": self.seed,
            "prefix_fixes": [asdict(fix) for fix in self.prefix.fixes],
            "notes": list(self.notes),
        }
        if debug:
            out["choices"] = [asdict(choice) for choice in self.choices]
        return out


# -- words ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def cmu_words() -> frozenset[str]:
    """Every word of the CMU Pronouncing Dictionary, lowercase."""
    pronouncing.init_cmu()
    return frozenset(word for word, _ in pronouncing.pronunciations)


def words_of(texts: Iterable[str]) -> frozenset[str]:
    """The lowercase words of texts (e.g. a training corpus), to extend the known words."""
    return frozenset(word.lower() for text in texts for word in _WORD_RE.findall(text))


def is_plausible_word(word: str) -> bool:
    """Could this unknown word be slang or a name rather than a broken sequence of letters?"""
    lower = word.lower().replace("'", "")
    if not lower or len(lower) > 18:
        return False
    if _LONG_REPEAT_RE.search(lower):
        return False
    if not _VOWEL_RE.search(lower):
        # Sounds: "hmm", "shh", "skrrt", "brrr"; not a random consonant string.
        return len(lower) <= 3 or (len(lower) <= 6 and _DOUBLED_RE.search(lower) is not None)
    return not _CONSONANT_RUN_RE.search(lower)


def _is_known(word: str, known_words: frozenset[str]) -> bool:
    lower = word.lower()
    forms = {lower, lower.strip("'"), lower.replace("'", "")}
    if lower.endswith("in'") or lower.endswith("in"):
        forms.add(lower.rstrip("'") + "g")  # dropped g: "nothin'" -> "nothing"
    if lower.endswith("'s"):
        forms.add(lower[:-2])
    return any(form in known_words or form in cmu_words() for form in forms)


def broken_words(line: str, known_words: frozenset[str]) -> tuple[str, ...]:
    return tuple(
        word
        for word in _WORD_RE.findall(line)
        if not _is_known(word, known_words) and not is_plausible_word(word)
    )


# -- scoring ------------------------------------------------------------------------------------


def score_candidate(
    *,
    text: str,
    seed: int,
    temperature: float,
    round_number: int,
    stop_reason: StopReason,
    previous_line: str | None,
    verse_so_far: Sequence[str],
    corpus_index: CorpusLineIndex | None,
    known_words: frozenset[str],
) -> CandidateScore:
    """Score one (tidied) candidate line by the rules in the module docstring."""
    rejected: list[str] = []
    if not _LETTER_RE.search(text):
        rejected.append("empty")
    normalised = normalise_line(text)
    if corpus_index is not None and corpus_index.contains(text):
        rejected.append("in_corpus")
    if normalised and any(normalise_line(line) == normalised for line in verse_so_far):
        rejected.append("repeats_verse")

    words = len(_WORD_RE.findall(text))
    broken = broken_words(text, known_words)
    truncated = stop_reason == "max_chars"
    shape = (
        1.0
        - SHORT_PENALTY * max(0, MIN_WORDS - words)
        - LONG_PENALTY * max(0, words - MAX_WORDS)
        - BROKEN_WORD_PENALTY * len(broken)
        - (TRUNCATED_PENALTY if truncated else 0.0)
    )
    match = line_rhyme(text, previous_line) if previous_line is not None else None
    rhyme = match.score if match is not None else 0.0
    return CandidateScore(
        text=text,
        seed=seed,
        temperature=temperature,
        round=round_number,
        stop_reason=stop_reason,
        words=words,
        broken_words=broken,
        truncated=truncated,
        shape=round(shape, 4),
        rhyme=rhyme,
        rhyme_method=match.method if match is not None else "none",
        rejected=tuple(rejected),
        total=None if rejected else round(shape + RHYME_WEIGHT * rhyme, 4),
    )


def candidate_seed(seed: int, *, line: int, round_number: int, candidate: int) -> int:
    """A stream seed for one candidate, derived from the request's seed."""
    material = f"{seed}:{line}:{round_number}:{candidate}".encode()
    return int.from_bytes(hashlib.blake2b(material, digest_size=8).digest(), "little") & MAX_SEED


# -- writing ------------------------------------------------------------------------------------


def _check_request(lines: int, candidates: int, rounds: int, seed: int | None) -> None:
    checks = (
        ("lines", lines, 1, MAX_LINES),
        ("candidates", candidates, 1, MAX_CANDIDATES),
        ("rounds", rounds, 1, 5),
    )
    for name, value, low, high in checks:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise LyricsRequestError(
                f"{name} must be an integer from {low} to {high}, got {value!r}"
            )
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED
    ):
        raise LyricsRequestError(f"seed must be an integer from 0 to 2**63-1, got {seed!r}")


def _merge_fixes(prepared: Sequence[PreparedPrefix]) -> tuple[PrefixFix, ...]:
    counts: dict[str, int] = {}
    replacement: dict[str, str | None] = {}
    for part in prepared:
        for fix in part.fixes:
            counts[fix.token] = counts.get(fix.token, 0) + fix.count
            replacement[fix.token] = fix.replacement
    return tuple(PrefixFix(token, replacement[token], counts[token]) for token in counts)


def write_lyrics(
    *,
    sampler: StreamSampler,
    prefix: str = "",
    lines: int = 5,
    temperature: float | Sequence[float] = DEFAULT_TEMPERATURES,
    top_k: int | None = None,
    top_p: float | None = None,
    candidates: int = DEFAULT_CANDIDATES,
    seed: int | None = None,
    corpus_index: CorpusLineIndex | None = None,
    known_words: frozenset[str] = frozenset(),
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
    rounds: int = 3,
    deadline: float | None = None,
    on_line: Callable[[LineChoice, tuple[str, ...]], None] | None = None,
) -> LyricsResult:
    """Write `lines` lines continuing `prefix`, each the best of `candidates` (module docstring).

    `deadline` is a `time.monotonic()` instant: the writer checks it before each batch of
    candidates (one compiled call, bounded by `max_line_chars`) and raises `WritingTimeout` once
    it has passed, so a caller's time limit holds without killing a thread mid-computation.
    `on_line(choice, verse_so_far)` hears each line's choice as soon as it is made, with the
    verse's lines so far (the page shows line 1 while the next are written); an exception it
    raises stops the writing there.
    """
    started = time.perf_counter()
    _check_request(lines, candidates, rounds, seed)
    temperatures = SamplingControls.of(temperature=temperature).temperature
    # Validates top_k, top_p and max_line_chars once, before any generation.
    SamplingControls.of(
        temperature=temperatures, top_k=top_k, top_p=top_p, max_chars=max_line_chars
    )
    request_seed = secrets.randbits(63) if seed is None else seed

    vocabulary = sampler.vocabulary
    newline_id = vocabulary.token_to_id.get("\n")
    # Models that never saw a newline (the pretrained one) learnt `<s>` as the text boundary.
    separator_id = newline_id if newline_id is not None else sampler.end_id

    prefix_lines = prefix.replace("\r\n", "\n").split("\n")
    prepared = [prepare_prefix(part, vocabulary) for part in prefix_lines]
    context: list[int] = [] if sampler.config.single_text else [sampler.end_id]
    for position, part in enumerate(prepared):
        if position:
            context.append(separator_id)
        context += part.token_ids
    verse = [tidy_line(part.text) for part in prepared[:-1] if tidy_line(part.text)]
    head = prepared[-1].text  # the unfinished line the first generated line continues
    whole_prefix = PreparedPrefix(
        text="\n".join(part.text for part in prepared),
        token_ids=tuple(context),
        fixes=_merge_fixes(prepared),
    )

    choices: list[LineChoice] = []
    notes: list[str] = []
    for line_number in range(lines):
        line_temperature = temperatures[line_number % len(temperatures)]
        scored: list[CandidateScore] = []
        chosen: CandidateScore | None = None
        chosen_ids: tuple[int, ...] = ()
        for round_number in range(rounds):
            if deadline is not None and time.monotonic() >= deadline:
                raise WritingTimeout(f"stopped at line {line_number + 1} of {lines}: out of time")
            round_temperature = min(10.0, line_temperature + RETRY_TEMPERATURE_STEP * round_number)
            controls = SamplingControls(
                temperature=(round_temperature,),
                top_k=top_k,
                top_p=top_p,
                max_chars=max_line_chars,
                stop_at="newline",
            )
            seeds = [
                candidate_seed(
                    request_seed, line=line_number, round_number=round_number, candidate=i
                )
                for i in range(candidates)
            ]
            outputs = sampler.generate_streams(
                [
                    StreamRequest(context_ids=tuple(context), seed=s, controls=controls)
                    for s in seeds
                ]
            )
            previous = verse[-1] if verse else None
            round_scores = [
                score_candidate(
                    text=tidy_line(head + output.text),
                    seed=output.seed,
                    temperature=round_temperature,
                    round_number=round_number,
                    stop_reason=output.stop_reason,
                    previous_line=previous,
                    verse_so_far=verse,
                    corpus_index=corpus_index,
                    known_words=known_words,
                )
                for output in outputs
            ]
            scored += round_scores
            best = max(
                (i for i, s in enumerate(round_scores) if s.total is not None),
                key=lambda i: (round_scores[i].total, -i),
                default=None,
            )
            if best is not None:
                chosen = round_scores[best]
                chosen_ids = outputs[best].token_ids
                break
        if chosen is None:
            notes.append(
                f"line {line_number + 1} left out: all {len(scored)} candidates were rejected"
            )
            choices.append(LineChoice(index=line_number, text=None, candidates=tuple(scored)))
            if on_line is not None:
                on_line(choices[-1], tuple(verse))
            continue
        scored = [replace(s, chosen=True) if s is chosen else s for s in scored]
        verse.append(chosen.text)
        choices.append(LineChoice(index=line_number, text=chosen.text, candidates=tuple(scored)))
        if on_line is not None:
            on_line(choices[-1], tuple(verse))
        context += [*chosen_ids, separator_id]
        head = ""

    if whole_prefix.fixes:
        notes.insert(0, _describe_fixes(whole_prefix.fixes))
    return LyricsResult(
        lines=tuple(verse),
        prefix=whole_prefix,
        seed=request_seed,
        choices=tuple(choices),
        notes=tuple(notes),
        elapsed_s=time.perf_counter() - started,
    )


def _describe_fixes(fixes: Sequence[PrefixFix]) -> str:
    parts = [
        f"{fix.token!r} -> {fix.replacement!r}"
        if fix.replacement is not None
        else f"{fix.token!r} dropped"
        for fix in fixes
    ]
    return "prefix characters the model does not know: " + ", ".join(parts)

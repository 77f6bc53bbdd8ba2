""" "Better lyrics": a verse written line by line, each line the best of several candidates.

The first line continues the user's prefix (its last, unfinished line). For each line,
`candidates` streams are drawn in one batch from the sampler and every candidate is scored. What
a line continues depends on how the model was trained:
- a verse model (its vocabulary has a newline token: trained on whole verses) continues the
  verse so far, lines joined by newlines, and a line ends at a newline;
- a line model (no newline token: the pretrained network, textgenrnn imports, models trained one
  line per text) only ever saw one line after `<s>`, never a line after another (a context of
  earlier lines makes it write 1-2 word stubs), so each line starts afresh after `<s>` (the first
  after `<s>` and the prefix's unfinished line) and ends at `<s>`; the verse so far still decides
  rhyme and repetition.

Hard rejections (a rejected candidate is never chosen):
- `in_corpus`: the line, normalised (`originality.normalise_line`), is a line of the model's
  training corpus (when a `CorpusLineIndex` is given): the model recited it;
- `repeats_verse`: the line, normalised, equals an earlier line of this verse (prefix included);
- `empty`: the line has no letter.

Score of the others, a weighted sum (`ChooserWeights`, chosen by measurement: bench/tune_chooser.py
and docs/quality.md):
- `length`: how typical the line's word count is of the corpus's lines (`LineShape`: their mean
  and standard deviation, stored with a trained model version; `FALLBACK_LINE_SHAPE` for imported
  and pretrained models), `-z**2 / 2` with `z = (words - mean) / sd`, floored at `-LENGTH_FLOOR`;
- `broken`: the count of broken words: words neither known (CMU dictionary, the corpus's words,
  the caller's `known_words`) nor plausible (letters only, a vowel unless it is a short sound like
  "brr", no letter five times running, no run of five consonants, at most 18 letters);
- `unknown`: the count of plausible words that are not known either (a name, slang, or a
  misspelling that looks like a word);
- `truncated`: 1 when the line hit `max_line_chars` before its end;
- `rhyme`: `rhyme.line_rhyme(candidate, partner)` in [0, 1], where the partner is the line the
  `rhyme_scheme` pairs it with (AABB: lines 2, 4, ... rhyme with the line before; ABAB: lines 3
  and 4 of each four with lines 1 and 2; free: none) counting the prefix's whole lines; 0 without
  a partner;
- `fluency`: the model's own mean natural-log probability per token of the line, its end
  included (`StreamOutput.log_probs`, untempered); 0 when the sampler does not measure it;
- `repetition`: the share of the line's word pairs already in the verse (originality within the
  verse; recital of the corpus is a rejection above);
- `syllable_miss`: when the caller asks for a `SyllableRange` (generator.ml.syllables), how many
  syllables the line is outside it (0 inside; 0 without a range). An asked range replaces the
  `length` term (both judge a line's length; the writer's ask wins over the corpus's habit).
`total = length_w * length - broken_w * broken - unknown_w * unknown - truncated_w * truncated
+ rhyme_w * rhyme + fluency_w * fluency - repetition_w * repetition
- syllables_w * syllable_miss`.

Syllable-fitted cuts: when a `SyllableRange` is asked (character-level models), every candidate
longer than its top is also offered cut after its last word that lands in the range and does
not leave it dangling ("the", "and"): `fitted_cuts`; they are scored like the others.

Rhyme-aimed endings: when a line has a partner and `aim_endings` is on (character-level models),
the round's best candidate is cut before its last word and `candidates` more endings are drawn
from there (one more batch, short streams); the whole lines they make are scored like the others
and compete with them, so the line keeps its length and gets more tries at the rhyme.

The highest total wins; ties go to the earlier candidate. When every candidate is rejected, a new
round is drawn with fresh seeds at a temperature raised by `RETRY_TEMPERATURE_STEP` (up to
`rounds` rounds); a line still without an acceptable candidate is left out and a note says so.

Chosen lines are tidied (`tidy.tidy_line`). Temperatures cycle per line (0.8/0.9/1.0 by
default; the original project's were 0.5/0.6/0.7). Each candidate's seed derives from the
request's seed, the line, the round and the candidate number, so the same seed, model and
request give the same verse. Every candidate's
score breakdown is in `LyricsResult.choices` (the API shows it with `debug=true`).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from generator.ml import cmu
from generator.ml.config import MLError
from generator.ml.originality import CorpusLineIndex, normalise_line
from generator.ml.rhyme import RhymeMethod, line_rhyme
from generator.ml.streams import (
    MAX_SEED,
    PrefixFix,
    PreparedPrefix,
    SamplingControls,
    StopReason,
    StreamOutput,
    StreamRequest,
    StreamSampler,
    prepare_prefix,
)
from generator.ml.syllables import SyllableRange, line_syllables
from generator.ml.tidy import tidy_line

# The same defaults as generator/limits.py's (chosen with bench/tune_sampling.py: docs/quality.md).
DEFAULT_TEMPERATURES: tuple[float, ...] = (0.8, 0.9, 1.0)
MAX_LINES = 16
MAX_CANDIDATES = 16
# A step costs about linearly in the candidates on CPU (bench/candidates.py). 6 is the most
# that keeps the default request's p50 under issue 17's 300 ms through gunicorn on 2 cores, and
# meets every quality target on the tuning seeds as 8 does (docs/quality.md); 4 misses
# distinct-2 and non-words.
DEFAULT_CANDIDATES = 6
DEFAULT_MAX_LINE_CHARS = 100
RETRY_TEMPERATURE_STEP = 0.15
# A line's length score never falls below this (a 1-word line and a 40-word one are both bad).
LENGTH_FLOOR = 8.0
# Aimed endings are drawn this far at most (a last word and the line's end).
ENDING_MAX_CHARS = 32

RhymeScheme = Literal["AABB", "ABAB", "free"]
RHYME_SCHEMES: tuple[RhymeScheme, ...] = ("AABB", "ABAB", "free")
DEFAULT_RHYME_SCHEME: RhymeScheme = "AABB"


@dataclass(frozen=True)
class LineShape:
    """The corpus's words per line: their mean and standard deviation."""

    mean: float
    sd: float

    @classmethod
    def of_lines(cls, lines: Iterable[str]) -> LineShape | None:
        """The shape of these lines (lines without a word are skipped); None with under 2."""
        counts = [n for line in lines if (n := len(_WORD_RE.findall(line)))]
        if len(counts) < 2:
            return None
        mean = sum(counts) / len(counts)
        variance = sum((n - mean) ** 2 for n in counts) / (len(counts) - 1)
        # A corpus of equal lines would make every other length infinitely unlikely.
        return cls(mean=round(mean, 3), sd=round(max(1.0, variance**0.5), 3))

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "sd": self.sd}

    @classmethod
    def from_dict(cls, values: object) -> LineShape | None:
        """From `as_dict`'s output; None when it is missing or malformed (old versions)."""
        if not isinstance(values, dict):
            return None
        mean, sd = values.get("mean"), values.get("sd")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (mean, sd)):
            return None
        assert isinstance(mean, int | float) and isinstance(sd, int | float)
        if not (0 < mean < 200 and 0 < sd < 200):
            return None
        return cls(mean=float(mean), sd=float(sd))


# Models with no corpus to measure (imported, the pretrained one): the shape of the demo
# corpus's lines (generator/demo/corpus.txt: 11.2 words a line, sd 1.9), widened a little because
# the corpus behind such a model is unknown.
FALLBACK_LINE_SHAPE = LineShape(mean=10.0, sd=3.0)


@dataclass(frozen=True)
class ChooserWeights:
    """How much each part of a candidate's score counts (module docstring)."""

    length: float = 1.0
    broken: float = 1.0
    unknown: float = 0.0
    truncated: float = 1.0
    rhyme: float = 1.0
    fluency: float = 1.0
    repetition: float = 1.0
    # Per syllable outside the asked range: measured in bench/syllable_fit.py (docs/quality.md).
    syllables: float = 1.5


# The winner of bench/tune_chooser.py's grid on the tuning seeds 5000-5007 with the demo model
# (docs/quality.md): rhyme and repetition weigh more, fluency less, than the other parts.
# Unknown words then weighed 1.5; hotter sampling (the defaults since the verse model) lets more
# plausible-looking non-words through: 4 held them to the corpus's rate + 1 point at 8
# candidates, and at 6 candidates 10 halved them again on the tuning seeds (0.8% -> 0.4%), rhyme
# and distinct-2 unchanged; from 10 up those verses no longer change (bench/tune_sampling.py
# --unknown-weights, docs/quality.md).
DEFAULT_WEIGHTS = ChooserWeights(rhyme=2.0, fluency=0.5, unknown=10.0, repetition=3.0)

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
    """One candidate line and why it scored what it did (the parts: module docstring)."""

    text: str
    seed: int
    temperature: float
    round: int
    stop_reason: StopReason
    words: int
    broken_words: tuple[str, ...]
    unknown_words: tuple[str, ...]
    truncated: bool
    length: float
    rhyme: float
    rhyme_method: RhymeMethod
    fluency: float
    repetition: float
    rejected: tuple[str, ...]
    total: float | None  # None when rejected
    aimed: bool = False  # an ending drawn again to aim at the partner's rhyme
    chosen: bool = False
    syllables: int = 0
    syllable_miss: int = 0  # syllables outside the asked range (0 inside, or none asked)


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
    return any(form in known_words or cmu.knows(form) for form in cmu.spellings(word))


def broken_words(line: str, known_words: frozenset[str]) -> tuple[str, ...]:
    return tuple(
        word
        for word in _WORD_RE.findall(line)
        if not _is_known(word, known_words) and not is_plausible_word(word)
    )


# -- scoring ------------------------------------------------------------------------------------


def partner_index(scheme: RhymeScheme, position: int) -> int | None:
    """The index of the line that line `position` (0-based, in the whole verse) rhymes with."""
    if scheme == "AABB":
        return position - 1 if position % 2 == 1 else None
    if scheme == "ABAB":
        return position - 2 if position % 4 >= 2 else None
    return None


def length_score(words: int, shape: LineShape) -> float:
    z = (words - shape.mean) / shape.sd
    return max(-LENGTH_FLOOR, -0.5 * z * z)


def _word_pairs(text: str) -> list[tuple[str, str]]:
    words = [word.lower() for word in _WORD_RE.findall(text)]
    return list(itertools.pairwise(words))


def repetition_share(text: str, verse_so_far: Sequence[str]) -> float:
    """The share of the line's word pairs that an earlier line of the verse already has."""
    pairs = _word_pairs(text)
    if not pairs:
        return 0.0
    seen = {pair for line in verse_so_far for pair in _word_pairs(line)}
    return sum(pair in seen for pair in pairs) / len(pairs)


def score_candidate(
    *,
    text: str,
    seed: int,
    temperature: float,
    round_number: int,
    stop_reason: StopReason,
    partner_line: str | None,
    verse_so_far: Sequence[str],
    corpus_index: CorpusLineIndex | None,
    known_words: frozenset[str],
    log_probs: Sequence[float] = (),
    line_shape: LineShape = FALLBACK_LINE_SHAPE,
    weights: ChooserWeights = DEFAULT_WEIGHTS,
    aimed: bool = False,
    syllable_range: SyllableRange | None = None,
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
    unknown = tuple(
        word
        for word in _WORD_RE.findall(text)
        if word not in broken and not _is_known(word, known_words)
    )
    truncated = stop_reason == "max_chars"
    length = length_score(words, line_shape) if syllable_range is None else 0.0
    match = line_rhyme(text, partner_line) if partner_line is not None else None
    rhyme = match.score if match is not None else 0.0
    fluency = sum(log_probs) / len(log_probs) if log_probs else 0.0
    repetition = repetition_share(text, verse_so_far)
    syllables = line_syllables(text)
    syllable_miss = syllable_range.miss(syllables) if syllable_range is not None else 0
    total = (
        weights.length * length
        - weights.broken * len(broken)
        - weights.unknown * len(unknown)
        - (weights.truncated if truncated else 0.0)
        + weights.rhyme * rhyme
        + weights.fluency * fluency
        - weights.repetition * repetition
        - weights.syllables * syllable_miss
    )
    return CandidateScore(
        text=text,
        seed=seed,
        temperature=temperature,
        round=round_number,
        stop_reason=stop_reason,
        words=words,
        broken_words=broken,
        unknown_words=unknown,
        truncated=truncated,
        length=round(length, 4),
        rhyme=rhyme,
        rhyme_method=match.method if match is not None else "none",
        fluency=round(fluency, 4),
        repetition=round(repetition, 4),
        rejected=tuple(rejected),
        total=None if rejected else round(total, 4),
        aimed=aimed,
        syllables=syllables,
        syllable_miss=syllable_miss,
    )


def candidate_seed(seed: int, *, line: int, round_number: int, candidate: int) -> int:
    """A stream seed for one candidate, derived from the request's seed."""
    material = f"{seed}:{line}:{round_number}:{candidate}".encode()
    return int.from_bytes(hashlib.blake2b(material, digest_size=8).digest(), "little") & MAX_SEED


# -- writing ------------------------------------------------------------------------------------


def _check_request(
    lines: int, candidates: int, rounds: int, seed: int | None, rhyme_scheme: str
) -> None:
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
    if rhyme_scheme not in RHYME_SCHEMES:
        raise LyricsRequestError(
            f"rhyme_scheme must be one of {', '.join(RHYME_SCHEMES)}, got {rhyme_scheme!r}"
        )


def _merge_fixes(prepared: Sequence[PreparedPrefix]) -> tuple[PrefixFix, ...]:
    counts: dict[str, int] = {}
    replacement: dict[str, str | None] = {}
    for part in prepared:
        for fix in part.fixes:
            counts[fix.token] = counts.get(fix.token, 0) + fix.count
            replacement[fix.token] = fix.replacement
    return tuple(PrefixFix(token, replacement[token], counts[token]) for token in counts)


@dataclass
class _Drawn:
    """A candidate as drawn: its raw text (after the line's head), ids and log-probs."""

    text: str
    token_ids: tuple[int, ...]
    log_probs: tuple[float, ...]
    score: CandidateScore


@dataclass(frozen=True)
class _LineScorer:
    """Scores the candidates of one line (what they share: head, partner, verse so far)."""

    head: str
    partner: str | None
    verse: tuple[str, ...]
    corpus_index: CorpusLineIndex | None
    known_words: frozenset[str]
    line_shape: LineShape
    weights: ChooserWeights
    syllable_range: SyllableRange | None = None

    def drawn(
        self,
        raw: str,
        ids: tuple[int, ...],
        log_probs: tuple[float, ...],
        *,
        output: StreamOutput,
        temperature: float,
        round_number: int,
        aimed: bool = False,
    ) -> _Drawn:
        score = score_candidate(
            text=tidy_line(self.head + raw),
            seed=output.seed,
            temperature=temperature,
            round_number=round_number,
            stop_reason=output.stop_reason,
            partner_line=self.partner,
            verse_so_far=self.verse,
            corpus_index=self.corpus_index,
            known_words=self.known_words,
            log_probs=log_probs,
            line_shape=self.line_shape,
            weights=self.weights,
            aimed=aimed,
            syllable_range=self.syllable_range,
        )
        return _Drawn(text=raw, token_ids=ids, log_probs=log_probs, score=score)


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
    rhyme_scheme: str = DEFAULT_RHYME_SCHEME,
    line_shape: LineShape | None = None,
    weights: ChooserWeights = DEFAULT_WEIGHTS,
    aim_endings: bool = True,
    deadline: float | None = None,
    on_line: Callable[[LineChoice, tuple[str, ...]], None] | None = None,
    syllable_range: SyllableRange | None = None,
) -> LyricsResult:
    """Write `lines` lines continuing `prefix`, each the best of `candidates` (module docstring).

    `line_shape` is the model's corpus's words per line (`FALLBACK_LINE_SHAPE` when None).
    `syllable_range`, when given, is the syllables each line should have (the chooser's
    `syllable_miss` term).
    `deadline` is a `time.monotonic()` instant: the writer checks it before each batch of
    candidates (one call, bounded by `max_line_chars`) and raises `WritingTimeout` once it has
    passed, so a caller's time limit holds without killing a thread mid-computation.
    `on_line(choice, verse_so_far)` hears each line's choice as soon as it is made, with the
    verse's lines so far (the page shows line 1 while the next are written); an exception it
    raises stops the writing there.
    """
    started = time.perf_counter()
    _check_request(lines, candidates, rounds, seed, rhyme_scheme)
    scheme: RhymeScheme = rhyme_scheme  # type: ignore[assignment]  # checked just above
    shape = line_shape if line_shape is not None else FALLBACK_LINE_SHAPE
    # Validates the temperatures, top_k, top_p and max_line_chars once, before any generation.
    temperatures = SamplingControls.of(
        temperature=temperature, top_k=top_k, top_p=top_p, max_chars=max_line_chars
    ).temperature
    request_seed = secrets.randbits(63) if seed is None else seed

    vocabulary = sampler.vocabulary
    newline_id = vocabulary.token_to_id.get("\n")
    # Models that never saw a newline (the pretrained one) learnt `<s>` as the text boundary.
    separator_id = newline_id if newline_id is not None else sampler.end_id
    # Cutting a candidate before its last word needs one token a character.
    can_aim = aim_endings and not sampler.config.word_level

    prefix_lines = prefix.replace("\r\n", "\n").split("\n")
    prepared = [prepare_prefix(part, vocabulary) for part in prefix_lines]
    start: list[int] = [] if sampler.config.single_text else [sampler.end_id]
    context = list(start)
    for position, part in enumerate(prepared):
        if position:
            context.append(separator_id)
        context += part.token_ids
    verse_context = newline_id is not None  # module docstring: verse models and line models
    verse = [tidy_line(part.text) for part in prepared[:-1] if tidy_line(part.text)]
    head = prepared[-1].text  # the unfinished line the first generated line continues
    whole_prefix = PreparedPrefix(
        text="\n".join(part.text for part in prepared),
        token_ids=tuple(context),
        fixes=_merge_fixes(prepared),
    )
    if not verse_context:
        context = [*start, *prepared[-1].token_ids]

    def check_time(line_number: int) -> None:
        if deadline is not None and time.monotonic() >= deadline:
            raise WritingTimeout(f"stopped at line {line_number + 1} of {lines}: out of time")

    choices: list[LineChoice] = []
    notes: list[str] = []
    for line_number in range(lines):
        line_temperature = temperatures[line_number % len(temperatures)]
        partner_at = partner_index(scheme, len(verse))
        partner = verse[partner_at] if partner_at is not None and partner_at >= 0 else None

        scorer = _LineScorer(
            head=head,
            partner=partner,
            verse=tuple(verse),
            corpus_index=corpus_index,
            known_words=known_words,
            line_shape=shape,
            weights=weights,
            syllable_range=syllable_range,
        )
        chosen, scored = draw_line(
            sampler,
            scorer=scorer,
            context=context,
            controls=SamplingControls(
                temperature=(line_temperature,),
                top_k=top_k,
                top_p=top_p,
                max_chars=max_line_chars,
                stop_at="newline",
            ),
            seed=request_seed,
            line=line_number,
            candidates=candidates,
            rounds=rounds,
            can_aim=can_aim,
            check_time=functools.partial(check_time, line_number),
        )
        if chosen is None:
            notes.append(
                f"line {line_number + 1} left out: all {len(scored)} candidates were rejected"
            )
            choices.append(
                LineChoice(index=line_number, text=None, candidates=tuple(d.score for d in scored))
            )
            if on_line is not None:
                on_line(choices[-1], tuple(verse))
            continue
        final = [replace(d.score, chosen=True) if d is chosen else d.score for d in scored]
        verse.append(chosen.score.text)
        choices.append(
            LineChoice(index=line_number, text=chosen.score.text, candidates=tuple(final))
        )
        if on_line is not None:
            on_line(choices[-1], tuple(verse))
        context = [*context, *chosen.token_ids, separator_id] if verse_context else list(start)
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


def draw_line(
    sampler: StreamSampler,
    *,
    scorer: _LineScorer,
    context: Sequence[int],
    controls: SamplingControls,
    seed: int,
    line: int,
    candidates: int,
    rounds: int,
    can_aim: bool,
    check_time: Callable[[], None],
) -> tuple[_Drawn | None, list[_Drawn]]:
    """One line's rounds (module docstring): `candidates` streams from `context` scored by
    `scorer`, syllable-fitted cuts when the scorer has a range, rhyme-aimed endings when it has a
    partner (both for character models: `can_aim`); a round without an acceptable candidate is
    drawn again, hotter, up to `rounds`. Returns the chosen candidate (None: every one was
    rejected) and every candidate scored, in order. `controls`' first temperature is the line's;
    `check_time` raises WritingTimeout once the request is out of time."""
    line_temperature = controls.temperature[0]
    scored: list[_Drawn] = []
    for round_number in range(rounds):
        check_time()
        temperature = min(10.0, line_temperature + RETRY_TEMPERATURE_STEP * round_number)
        round_controls = replace(controls, temperature=(temperature,))
        seeds = [
            candidate_seed(seed, line=line, round_number=round_number, candidate=i)
            for i in range(candidates)
        ]
        outputs = sampler.generate_streams(
            [
                StreamRequest(context_ids=tuple(context), seed=s, controls=round_controls)
                for s in seeds
            ]
        )
        drawn = [
            scorer.drawn(
                output.text,
                output.token_ids,
                output.log_probs,
                output=output,
                temperature=temperature,
                round_number=round_number,
            )
            for output in outputs
        ]
        if can_aim and scorer.syllable_range is not None:
            drawn += fitted_cuts(drawn, scorer=scorer)
        best = _best(drawn)
        if best is not None and scorer.partner is not None and can_aim:
            check_time()
            drawn += _aimed_endings(
                sampler,
                best,
                scorer=scorer,
                context=context,
                controls=round_controls,
                seeds=[
                    candidate_seed(
                        seed, line=line, round_number=round_number, candidate=candidates + i
                    )
                    for i in range(candidates)
                ],
                round_number=round_number,
                max_line_chars=round_controls.max_chars,
            )
            best = _best(drawn)
        scored += drawn
        if best is not None:
            return best, scored
    return None, scored


def _best(drawn: Sequence[_Drawn]) -> _Drawn | None:
    """The acceptable candidate with the highest total; the earlier one on a tie."""
    best: _Drawn | None = None
    for candidate in drawn:
        total = candidate.score.total
        if total is not None and (best is None or total > (best.score.total or 0.0)):
            best = candidate
    return best


def _aimed_endings(
    sampler: StreamSampler,
    base: _Drawn,
    *,
    scorer: _LineScorer,
    context: Sequence[int],
    controls: SamplingControls,
    seeds: Sequence[int],
    round_number: int,
    max_line_chars: int,
) -> list[_Drawn]:
    """New endings for `base`, cut before its last word: one batch of short streams."""
    words = list(_WORD_RE.finditer(base.text))
    if len(words) < 2 or len(base.token_ids) != len(base.text):
        return []
    cut = words[-1].start()
    kept_ids = base.token_ids[:cut]
    kept_log_probs = base.log_probs[:cut]
    room = max_line_chars - cut
    if room < 2:
        return []
    ending_controls = replace(controls, max_chars=min(ENDING_MAX_CHARS, room))
    outputs = sampler.generate_streams(
        [
            StreamRequest(context_ids=(*context, *kept_ids), seed=s, controls=ending_controls)
            for s in seeds
        ]
    )
    endings = []
    for output in outputs:
        # An ending cut short by ENDING_MAX_CHARS (not by the line's limit) ran on: skip it.
        if output.stop_reason == "max_chars" and ending_controls.max_chars < room:
            continue
        endings.append(
            scorer.drawn(
                base.text[:cut] + output.text,
                (*kept_ids, *output.token_ids),
                (*kept_log_probs, *output.log_probs) if output.log_probs else (),
                output=output,
                temperature=controls.temperature[0],
                round_number=round_number,
                aimed=True,
            )
        )
    return endings


# A line cut to fit a syllable range never ends on one of these (it would read as broken off).
# fmt: off
_DANGLING_WORDS = frozenset((
    "a", "an", "the", "and", "or", "but", "so", "to", "of", "in", "on", "at", "by", "for",
    "from", "with", "my", "your", "his", "her", "our", "their", "its", "i", "you", "we",
    "they", "he", "she", "it", "is", "are", "was", "were", "be", "been", "am", "i'm",
    "like", "that", "this", "as", "if", "when",
))
# fmt: on


def fitted_cuts(drawn: Sequence[_Drawn], *, scorer: _LineScorer) -> list[_Drawn]:
    """Candidates longer than the asked syllables, each cut after its last word that keeps it
    in range (never after a dangling word such as "the"): new candidates, scored like the others
    (marked `aimed`), so a short range can be met by a model whose lines run long.

    One token a character (a character-level model): the kept ids are the text's first ones.
    """
    asked = scorer.syllable_range
    if asked is None:
        return []
    cuts = []
    for candidate in drawn:
        if candidate.score.syllables <= asked.high or len(candidate.token_ids) != len(
            candidate.text
        ):
            continue
        best_end = None
        for word in _WORD_RE.finditer(candidate.text):
            count = line_syllables(scorer.head + candidate.text[: word.end()])
            if count > asked.high:
                break
            if count >= asked.low and word.group().lower() not in _DANGLING_WORDS:
                best_end = word.end()
        if best_end is None:
            continue
        score = score_candidate(
            text=tidy_line(scorer.head + candidate.text[:best_end]),
            seed=candidate.score.seed,
            temperature=candidate.score.temperature,
            round_number=candidate.score.round,
            stop_reason="newline",
            partner_line=scorer.partner,
            verse_so_far=scorer.verse,
            corpus_index=scorer.corpus_index,
            known_words=scorer.known_words,
            log_probs=candidate.log_probs[:best_end],
            line_shape=scorer.line_shape,
            weights=scorer.weights,
            aimed=True,
            syllable_range=asked,
        )
        cuts.append(
            _Drawn(
                text=candidate.text[:best_end],
                token_ids=candidate.token_ids[:best_end],
                log_probs=candidate.log_probs[:best_end],
                score=score,
            )
        )
    return cuts


def _describe_fixes(fixes: Sequence[PrefixFix]) -> str:
    parts = [
        f"{fix.token!r} -> {fix.replacement!r}"
        if fix.replacement is not None
        else f"{fix.token!r} dropped"
        for fix in fixes
    ]
    return "prefix characters the model does not know: " + ", ".join(parts)


# -- one typed request --------------------------------------------------------------------------


@dataclass(frozen=True)
class LyricsRequest:
    """What a caller asks of the writer, as one object (the API builds it once, after validating
    its input against this module's constants; `write_request` hands it to `write_lyrics`, which
    checks it)."""

    prefix: str = ""
    lines: int = 5
    temperature: tuple[float, ...] = DEFAULT_TEMPERATURES
    top_k: int | None = None
    top_p: float | None = None
    candidates: int = DEFAULT_CANDIDATES
    rhyme_scheme: RhymeScheme = DEFAULT_RHYME_SCHEME
    syllables: SyllableRange | None = None
    seed: int | None = None
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS


def write_request(
    sampler: StreamSampler,
    request: LyricsRequest,
    *,
    corpus_index: CorpusLineIndex | None = None,
    line_shape: LineShape | None = None,
    deadline: float | None = None,
    on_line: Callable[[LineChoice, tuple[str, ...]], None] | None = None,
) -> LyricsResult:
    """`write_lyrics` for one `LyricsRequest` and what the served model brings."""
    return write_lyrics(
        sampler=sampler,
        prefix=request.prefix,
        lines=request.lines,
        temperature=request.temperature,
        top_k=request.top_k,
        top_p=request.top_p,
        candidates=request.candidates,
        seed=request.seed,
        rhyme_scheme=request.rhyme_scheme,
        syllable_range=request.syllables,
        max_line_chars=request.max_line_chars,
        corpus_index=corpus_index,
        line_shape=line_shape,
        deadline=deadline,
        on_line=on_line,
    )

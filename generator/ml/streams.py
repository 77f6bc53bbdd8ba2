"""What a sampling request is, shared by both engines (no Keras, no TensorFlow).

A stream request is a context (token ids), a seed and `SamplingControls`; its output is the
generated ids, their text and why the stream stopped. `prepare_prefix` turns a user's prefix into
ids, replacing tokens the vocabulary lacks by their closest known form (curly quotes -> straight,
dashes, ellipsis, accents stripped by NFKD, other case, whitespace -> space) or dropping them,
and says which (`PreparedPrefix.fixes`). Both `generator.ml.sampling.Sampler` (Keras, the window
re-run) and `generator.ml.engine.Engine` (NumPy, one step per token) take and give these types.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from generator.ml.config import MLError, ModelConfig
from generator.ml.vocab import END_TOKEN, Vocabulary

StopAt = Literal["end", "newline"]
StopReason = Literal["end", "newline", "max_chars"]

MAX_TEMPERATURES = 8
MAX_CHARS_LIMIT = 2048
MAX_STREAMS = 64
MAX_SEED = 2**63 - 1
# Keras 2's K.epsilon(), which textgenrnn adds before taking the log of the probabilities.
LOG_EPSILON = 1e-7
MASKED_LOGIT = -1e30

# Typographic characters and their plain forms, tried before Unicode folding.
_CLOSEST_CHARS: dict[str, str] = {
    "’": "'",
    "‘": "'",
    "‚": "'",
    "′": "'",
    "`": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "″": '"',
    "–": "-",
    "—": "-",
    "―": "-",
    "‐": "-",
    "‑": "-",
    "…": "...",
    "\u00a0": " ",
}


class SamplingError(MLError):
    """A sampling request is out of range (temperature, top_k, top_p, max_chars, seeds)."""


# -- prefix -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrefixFix:
    """One unknown prefix token: what replaced it (None: dropped) and how many times it met."""

    token: str
    replacement: str | None
    count: int


@dataclass(frozen=True)
class PreparedPrefix:
    """The prefix as the model reads it: its text, its ids, and the unknown tokens fixed."""

    text: str
    token_ids: tuple[int, ...]
    fixes: tuple[PrefixFix, ...]

    @property
    def changed(self) -> bool:
        return bool(self.fixes)


def _replacement_candidates(token: str) -> list[str]:
    candidates = [_CLOSEST_CHARS.get(token, "")]
    folded = unicodedata.normalize("NFKD", token)
    candidates.append("".join(ch for ch in folded if not unicodedata.combining(ch)))
    candidates += [token.lower(), token.upper()]
    if token.isspace():
        candidates.append(" ")
    return [c for c in candidates if c and c != token]


def closest_known(token: str, vocabulary: Vocabulary) -> str | None:
    """The closest form of an unknown token made only of known tokens, or None to drop it."""
    for candidate in _replacement_candidates(token):
        pieces = vocabulary.tokenize(candidate)
        if pieces and all(piece in vocabulary for piece in pieces):
            return candidate
    return None


def prepare_prefix(prefix: str, vocabulary: Vocabulary) -> PreparedPrefix:
    """Tokenise the prefix, replacing or dropping tokens the vocabulary lacks (and saying so)."""
    ids: list[int] = []
    kept: list[str] = []
    counts: dict[str, int] = {}
    replacements: dict[str, str | None] = {}
    for token in vocabulary.tokenize(prefix):
        if token == END_TOKEN or token not in vocabulary:
            if token not in replacements:
                replacements[token] = (
                    None if token == END_TOKEN else closest_known(token, vocabulary)
                )
            counts[token] = counts.get(token, 0) + 1
            replacement = replacements[token]
            if replacement is None:
                continue
            pieces = vocabulary.tokenize(replacement)
        else:
            pieces = [token]
        kept += pieces
        ids += [vocabulary.token_to_id[piece] for piece in pieces]
    fixes = tuple(PrefixFix(t, replacements[t], counts[t]) for t in counts)
    text = vocabulary.decode(ids) if vocabulary.word_level else "".join(kept)
    return PreparedPrefix(text=text, token_ids=tuple(ids), fixes=fixes)


# -- controls -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplingControls:
    """How to draw tokens; `temperature` is one value or a per-line cycle of up to 8."""

    temperature: tuple[float, ...] = (0.5,)
    top_k: int | None = None
    top_p: float | None = None
    max_chars: int = 300
    stop_at: StopAt = "end"

    def __post_init__(self) -> None:
        if not self.temperature or len(self.temperature) > MAX_TEMPERATURES:
            raise SamplingError(f"give 1 to {MAX_TEMPERATURES} temperatures")
        for value in self.temperature:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SamplingError(f"temperature must be a number, got {value!r}")
            if not 0.0 <= value <= 10.0 or value != value:
                raise SamplingError(f"temperature must be between 0 and 10, got {value}")
        if self.top_k is not None and (
            isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1
        ):
            raise SamplingError(f"top_k must be a positive integer, got {self.top_k!r}")
        if self.top_p is not None and (
            isinstance(self.top_p, bool)
            or not isinstance(self.top_p, int | float)
            or not 0.0 < self.top_p <= 1.0
        ):
            raise SamplingError(f"top_p must be in (0, 1], got {self.top_p!r}")
        if (
            isinstance(self.max_chars, bool)
            or not isinstance(self.max_chars, int)
            or not 1 <= self.max_chars <= MAX_CHARS_LIMIT
        ):
            raise SamplingError(
                f"max_chars must be an integer from 1 to {MAX_CHARS_LIMIT}, got {self.max_chars!r}"
            )
        if self.stop_at not in ("end", "newline"):
            raise SamplingError(f"stop_at must be 'end' or 'newline', got {self.stop_at!r}")

    @classmethod
    def of(
        cls,
        *,
        temperature: float | Sequence[float] = 0.5,
        top_k: int | None = None,
        top_p: float | None = None,
        max_chars: int = 300,
        stop_at: StopAt = "end",
    ) -> SamplingControls:
        """Controls from API-shaped values (a bare temperature or a list of them)."""
        temperatures = (
            (temperature,) if isinstance(temperature, int | float) else tuple(temperature)
        )
        return cls(
            temperature=temperatures, top_k=top_k, top_p=top_p, max_chars=max_chars, stop_at=stop_at
        )


@dataclass(frozen=True)
class StreamRequest:
    """One stream of a batch: its context (token ids, already prepared), seed and controls."""

    context_ids: tuple[int, ...]
    seed: int
    controls: SamplingControls


@dataclass(frozen=True)
class StreamOutput:
    seed: int
    text: str
    token_ids: tuple[int, ...]
    stop_reason: StopReason
    # The model's own (untempered) natural-log probability of each drawn token: one per token
    # of `token_ids`, then the stop token's when the stream stopped at `end` or `newline`.
    # Empty when the sampler does not measure them (the Keras sampler). Not compared: two
    # outputs are equal when they drew the same tokens (a batch may round the logs apart).
    log_probs: tuple[float, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class GenerationResult:
    prefix: PreparedPrefix
    streams: tuple[StreamOutput, ...]
    elapsed_s: float

    @property
    def texts(self) -> list[str]:
        return [stream.text for stream in self.streams]


def check_seed(seed: object) -> None:
    """A stream seed is an integer from 0 to 2**63-1 (numpy's default_rng takes it)."""
    if isinstance(seed, bool) or not (isinstance(seed, int | np.integer) and 0 <= seed <= MAX_SEED):
        raise SamplingError(f"seed must be an integer from 0 to 2**63-1, got {seed}")


def stream_uniforms(seed: int, length: int) -> np.ndarray:
    """The stream's uniforms: draw t picks its t-th token (the first `length` of one sequence,
    so a stream's tokens do not depend on how many the batch asks for)."""
    return np.random.default_rng(int(seed)).random(length).astype(np.float32)


class StreamSampler(Protocol):
    """What the lyrics writer needs of a sampler: the Keras `Sampler`, the NumPy `Engine` and
    a worker's `StreamScheduler` all fit."""

    vocabulary: Vocabulary
    config: ModelConfig
    end_id: int

    def generate_streams(self, requests: Sequence[StreamRequest]) -> list[StreamOutput]: ...

    def warm_up(self, *, streams: Sequence[int] = (1,), max_chars: int = 120) -> int:
        """Run these batch shapes once so that a first request pays no first-call costs."""
        ...

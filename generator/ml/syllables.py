"""Syllables per line: the CMU Pronouncing Dictionary's count, a spelling estimate otherwise.

A word the dictionary knows counts as its first pronunciation's vowels (`generator.ml.cmu`); the
forms tried are those the chooser accepts as known (a dropped g, "nothin'" -> "nothing"; a
possessive 's). A word it lacks (slang, a name, a coinage) is estimated from its spelling: its
runs of vowels (y counts as one), less a silent final e ("skate", not "apple"), at least one.

`SyllableRange` is what a writer asks of each line: from `low` to `high` syllables, both
included; `miss(count)` is how many syllables a line is outside it (0 inside), the chooser's
`syllables` term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from generator.ml import cmu
from generator.ml.config import MLError

# A rap line rarely has more than 24 syllables; 40 leaves room without inviting nonsense.
MAX_SYLLABLES = 40

_WORD_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*'?")
_VOWEL_RUN_RE = re.compile(r"[aeiouy]+")


class SyllableRangeError(MLError):
    """A syllable range is out of bounds or upside down."""


@dataclass(frozen=True)
class SyllableRange:
    """From `low` to `high` syllables a line, both included."""

    low: int
    high: int

    def __post_init__(self) -> None:
        for name, value in (("low", self.low), ("high", self.high)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise SyllableRangeError(f"syllables {name} must be a whole number, got {value!r}")
            if not 1 <= value <= MAX_SYLLABLES:
                raise SyllableRangeError(
                    f"syllables {name} must be from 1 to {MAX_SYLLABLES}, got {value}"
                )
        if self.low > self.high:
            raise SyllableRangeError(
                f"syllables min ({self.low}) is more than max ({self.high}); swap them"
            )

    def miss(self, count: int) -> int:
        """How many syllables `count` is outside the range; 0 inside it."""
        return max(0, self.low - count, count - self.high)

    def __contains__(self, count: object) -> bool:
        return isinstance(count, int) and self.low <= count <= self.high

    def as_dict(self) -> dict[str, int]:
        return {"min": self.low, "max": self.high}


def spelling_estimate(word: str) -> int:
    """Syllables of a word from its letters alone (module docstring)."""
    lower = word.lower().replace("'", "")
    runs = len(_VOWEL_RUN_RE.findall(lower))
    if lower.endswith("e") and not lower.endswith(("le", "ee", "ye")) and runs > 1:
        runs -= 1  # a silent final e: "skate", "vibe"
    return max(1, runs)


@lru_cache(maxsize=65536)
def word_syllables(word: str) -> int:
    """The syllables of one word: the dictionary's count, else the spelling estimate."""
    for form in cmu.spellings(word):
        phones = cmu.phones_for_word(form)
        if phones:
            return max(1, cmu.syllable_count(phones[0]))
    return spelling_estimate(word)


def line_syllables(line: str) -> int:
    """The syllables of a line: the sum over its words (digits and signs count nothing)."""
    return sum(word_syllables(word) for word in _WORD_RE.findall(line))

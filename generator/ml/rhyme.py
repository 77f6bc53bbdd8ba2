"""How well two line endings rhyme: CMU Pronouncing Dictionary first, spelling when unknown.

`rhyme_strength(a, b)` returns a `RhymeMatch` with a score in [0, 1]:
- 1.0 "perfect": some pronunciations share the rhyming part (last stressed vowel to the end,
  stress marks ignored): time/rhyme, money/honey;
- 0.5 "assonance": same last stressed vowel, different tail (mind/time);
- 0.8 / 0.4 "spelling": one word is not in the CMU dictionary, so the letters decide: same last
  vowel group plus tail (drip/shmip, 0.8), or only the same last two letters (skrrt/blurt, 0.4);
- 0.2 "identical": the same word twice is an echo, not a rhyme worth preferring;
- 0.0 otherwise, or when a line has no word.
A word is looked up under the spellings `cmu.spellings` gives (as written, without apostrophes,
a dropped g restored: "nothin'" -> "nothing", without a possessive 's); the first one the
dictionary knows counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from generator.ml import cmu

RhymeMethod = Literal["perfect", "assonance", "spelling", "identical", "none"]

PERFECT_SCORE = 1.0
ASSONANCE_SCORE = 0.5
SPELLING_RIME_SCORE = 0.8
SPELLING_TAIL_SCORE = 0.4
IDENTICAL_SCORE = 0.2

_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)*'?")
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+[^aeiouy]*$")
_STRESS_RE = re.compile(r"\d")


@dataclass(frozen=True)
class RhymeMatch:
    score: float
    method: RhymeMethod


def last_word(line: str) -> str | None:
    """The line's last word, lowercased, curly apostrophes made straight; None if it has none."""
    words = _WORD_RE.findall(line.lower().replace("’", "'").replace("‘", "'"))
    return words[-1] if words else None


@lru_cache(maxsize=65536)
def _rhyming_parts(word: str) -> tuple[frozenset[str], frozenset[str]]:
    """(rhyming parts, last stressed vowels) of the word's pronunciations; empty if unknown."""
    phones = _phones(word)
    parts = frozenset(_STRESS_RE.sub("", cmu.rhyming_part(p)) for p in phones)
    vowels = frozenset(part.split(" ")[0] for part in parts if part)
    return parts, vowels


def _phones(word: str) -> list[str]:
    """The pronunciations of the first of the word's spellings the dictionary knows (the same
    forms the chooser and the syllable count try: a dropped g, a possessive 's)."""
    for form in cmu.spellings(word):
        found = cmu.phones_for_word(form)
        if found:
            return list(found)
    return []


def pronunciations(word: str) -> list[str]:
    """The word's CMU pronunciations (its dropped-g "-ing" form's when that is what CMU knows);
    empty when the dictionary does not know it."""
    return _phones(word.lower())


def is_known_word(word: str) -> bool:
    """Whether the CMU dictionary knows one of the word's spellings (`cmu.spellings`)."""
    return bool(_phones(word.lower()))


def _spelling_match(a: str, b: str) -> RhymeMatch:
    a_bare, b_bare = a.strip("'").replace("'", ""), b.strip("'").replace("'", "")
    rime_a, rime_b = _VOWEL_GROUP_RE.search(a_bare), _VOWEL_GROUP_RE.search(b_bare)
    if rime_a and rime_b and rime_a.group() == rime_b.group():
        return RhymeMatch(SPELLING_RIME_SCORE, "spelling")
    if len(a_bare) >= 2 and len(b_bare) >= 2 and a_bare[-2:] == b_bare[-2:]:
        return RhymeMatch(SPELLING_TAIL_SCORE, "spelling")
    return RhymeMatch(0.0, "none")


def rhyme_strength(word_a: str | None, word_b: str | None) -> RhymeMatch:
    """How well two words rhyme (see the module docstring for the scale)."""
    if not word_a or not word_b:
        return RhymeMatch(0.0, "none")
    a, b = word_a.lower(), word_b.lower()
    if a.strip("'") == b.strip("'"):
        return RhymeMatch(IDENTICAL_SCORE, "identical")
    parts_a, vowels_a = _rhyming_parts(a)
    parts_b, vowels_b = _rhyming_parts(b)
    if parts_a and parts_b:
        if parts_a & parts_b:
            return RhymeMatch(PERFECT_SCORE, "perfect")
        if vowels_a & vowels_b:
            return RhymeMatch(ASSONANCE_SCORE, "assonance")
        return RhymeMatch(0.0, "none")
    return _spelling_match(a, b)


def line_rhyme(line_a: str, line_b: str) -> RhymeMatch:
    """How well the last words of two lines rhyme."""
    return rhyme_strength(last_word(line_a), last_word(line_b))

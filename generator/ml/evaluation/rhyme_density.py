"""Rhyme density as Malmi et al. define it (DopeLearning/DeepBeat, KDD 2016; their Raplyzer tool).

Each word becomes its vowel sequence: the vowels of its first CMU Pronouncing Dictionary
pronunciation, stress marks dropped ("money" -> AH IY). A verse is the concatenation of its
words' vowels. For every word but the first, its rhyme length is the longest run of vowels
ending at its last vowel that equals the run ending at the last vowel of one of the previous
`LOOKBACK_WORDS` (15) words, where:
- the earlier word must not be the same word ("money ... money" is no rhyme);
- the two runs must not overlap (the later run stops before reaching the earlier word's end);
- a match of a single vowel counts 0, as in Raplyzer (one shared vowel is too common to be
  a rhyme).
The rhyme density is the mean rhyme length over the scored words of all verses (pooled, each
verse its own stream: no rhyme across verses). As Raplyzer does, a line repeated in the same verse
is read once.

Unknown words (not in the CMU dictionary, nor as their dropped-g "-ing" form) are left out:
they add no vowels, are neither scored nor counted among the 15 previous words, and
`RhymeDensity.unknown_words` says how many there were (the non-word measure judges them).
Words whose pronunciation has no vowel ("hmm") are left out the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from generator.ml.evaluation.words import Verse, line_words
from generator.ml.rhyme import pronunciations

LOOKBACK_WORDS = 15
_VOWEL_RE = re.compile(r"^([A-Z]+)\d$")


@dataclass(frozen=True)
class RhymeDensity:
    mean: float | None  # None when no word could be scored
    scored_words: int
    unknown_words: int


@lru_cache(maxsize=65536)
def vowel_sequence(word: str) -> tuple[str, ...] | None:
    """The vowels of the word's first CMU pronunciation, stress dropped; None when unknown."""
    found = pronunciations(word)
    if not found:
        return None
    vowels = tuple(
        match.group(1) for phone in found[0].split() if (match := _VOWEL_RE.match(phone))
    )
    return vowels or None


def rhyme_lengths(words: Sequence[str], *, lookback: int = LOOKBACK_WORDS) -> list[int]:
    """The rhyme length of each known word but the first (module docstring)."""
    stream: list[str] = []
    ends: list[int] = []  # index in `stream` of each known word's last vowel
    known: list[str] = []
    for word in words:
        vowels = vowel_sequence(word)
        if vowels is None:
            continue
        stream.extend(vowels)
        ends.append(len(stream) - 1)
        known.append(word)
    lengths = []
    for later in range(1, len(known)):
        best = 0
        for earlier in range(max(0, later - lookback), later):
            if known[earlier] != known[later]:
                best = max(best, _matching_run(stream, ends[earlier], ends[later]))
        lengths.append(best)
    return lengths


def _matching_run(stream: Sequence[str], first_end: int, second_end: int) -> int:
    length = 0
    while stream[first_end - length] == stream[second_end - length]:
        length += 1
        # Stop at the stream's start, and before the second run reaches the first word's end.
        if first_end - length < 0 or second_end - length <= first_end:
            break
    return 0 if length == 1 else length


def rhyme_density(verses: Iterable[Verse], *, lookback: int = LOOKBACK_WORDS) -> RhymeDensity:
    """Mean rhyme length over the scored words of all verses (module docstring)."""
    total = scored = unknown = 0
    for verse in verses:
        words = _words_without_repeated_lines(verse)
        unknown += sum(1 for word in words if vowel_sequence(word) is None)
        lengths = rhyme_lengths(words, lookback=lookback)
        total += sum(lengths)
        scored += len(lengths)
    return RhymeDensity(
        mean=total / scored if scored else None, scored_words=scored, unknown_words=unknown
    )


def _words_without_repeated_lines(verse: Verse) -> list[str]:
    seen: set[tuple[str, ...]] = set()
    words: list[str] = []
    for line in verse:
        line_key = tuple(line_words(line))
        if line_key not in seen:
            seen.add(line_key)
            words.extend(line_key)
    return words

"""Non-words: generated words that are neither in the CMU Pronouncing Dictionary under one of
the spellings the chooser also tries (`cmu.spellings`: a dropped g, "nothin'"; a possessive
's) nor words of the training verses ("chaol", "suitive")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from generator.ml.evaluation.reference import CorpusReference
from generator.ml.evaluation.words import Verse, verse_words
from generator.ml.rhyme import is_known_word

EXAMPLES = 8


@dataclass(frozen=True)
class NonWords:
    share: float | None  # of all words; None without words
    count: int
    examples: tuple[str, ...]  # the most frequent ones, up to EXAMPLES


def is_non_word(word: str, reference: CorpusReference) -> bool:
    bare = word.rstrip("'")
    return (
        word not in reference.known_words
        and bare not in reference.known_words
        and not is_known_word(word)
    )


def non_words(verses: Sequence[Verse], reference: CorpusReference) -> NonWords:
    words = [word for verse in verses for word in verse_words(verse)]
    unknown = Counter(word for word in words if is_non_word(word, reference))
    count = sum(unknown.values())
    return NonWords(
        share=count / len(words) if words else None,
        count=count,
        examples=tuple(word for word, _ in unknown.most_common(EXAMPLES)),
    )

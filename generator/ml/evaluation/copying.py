"""How much of the generated text the model recited from its training verses.

- `copied_line_share`: share of lines that, normalised (`originality.normalise_line`: case,
  accents, apostrophes and punctuation folded), are lines of the training verses;
- `copied_ngram_share`: share of the verses' 6-word sequences (running across line breaks within
  a verse) that occur in a training verse;
- `longest_copied_span`: the most consecutive words of one verse found, in order, in one
  training verse (0 when not even one word is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.ml.evaluation.reference import CorpusReference, ngrams, normalised_words
from generator.ml.evaluation.words import Verse


@dataclass(frozen=True)
class Copying:
    copied_line_share: float | None  # None without lines
    copied_ngram_share: float | None  # None when no verse has 6 words
    longest_copied_span: int


def copying(verses: Sequence[Verse], reference: CorpusReference) -> Copying:
    lines = [line for verse in verses for line in verse]
    copied_lines = sum(1 for line in lines if reference.line_index.contains(line))
    grams = [gram for verse in verses for gram in ngrams(normalised_words(verse))]
    copied_grams = sum(1 for gram in grams if gram in reference.ngram_set)
    return Copying(
        copied_line_share=copied_lines / len(lines) if lines else None,
        copied_ngram_share=copied_grams / len(grams) if grams else None,
        longest_copied_span=max(
            (longest_copied_span(normalised_words(verse), reference) for verse in verses),
            default=0,
        ),
    )


def longest_copied_span(words: Sequence[str], reference: CorpusReference) -> int:
    """Two pointers: a span inside a copied span is copied too, so each word is added and
    dropped at most once (about 2n substring searches)."""
    best = start = 0
    for end in range(len(words)):
        while start <= end and not reference.has_span(words[start : end + 1]):
            start += 1
        best = max(best, end + 1 - start)
    return best

"""What generated verses are compared with: the verses the model was trained on.

Built once per evaluation from the training verses (never the held-out ones, which are the
corpus row's own verses): their normalised lines (`originality.normalise_line`), their
`COPY_NGRAM`-word sequences, one searchable string of their normalised words for the longest
copied span, and their words (a word the corpus uses is no non-word, even if CMU lacks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.ml.evaluation.words import Verse, line_words
from generator.ml.originality import CorpusLineIndex, normalise_line

COPY_NGRAM = 6
# Between verses in the searchable string: no copied span runs from one verse into the next.
_VERSE_BREAK = " | "


def normalised_words(verse: Verse) -> list[str]:
    """A verse's words as copying compares them (normalised lines, split on spaces)."""
    return [word for line in verse for word in normalise_line(line).split()]


def ngrams(words: Sequence[str], n: int = COPY_NGRAM) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


@dataclass(frozen=True)
class CorpusReference:
    line_index: CorpusLineIndex
    ngram_set: frozenset[tuple[str, ...]]
    searchable: str  # " w1 w2 ... | w1 w2 ... " : every verse's normalised words
    known_words: frozenset[str]

    @classmethod
    def from_verses(cls, verses: Sequence[Verse]) -> CorpusReference:
        word_lists = [normalised_words(verse) for verse in verses]
        return cls(
            line_index=CorpusLineIndex.from_texts("\n".join(verse) for verse in verses),
            ngram_set=frozenset(gram for words in word_lists for gram in ngrams(words)),
            searchable=" " + _VERSE_BREAK.join(" ".join(words) for words in word_lists) + " ",
            known_words=frozenset(
                word for verse in verses for line in verse for word in line_words(line)
            ),
        )

    def has_span(self, words: Sequence[str]) -> bool:
        """Whether these consecutive words appear, in order, in one corpus verse."""
        return f" {' '.join(words)} " in self.searchable

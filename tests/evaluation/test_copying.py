"""Copying: lines and word sequences recited from the training verses."""

from __future__ import annotations

import pytest

from generator.ml.evaluation.copying import copying, longest_copied_span
from generator.ml.evaluation.reference import CorpusReference

# Written for these tests.
TRAINING = [
    ["Pigeons on the wire like a chorus in a row", "They never pay the rent but they run the show"],
    ["Laundromat at night where the dryers spin in time", "I tap it on the glass"],
]
REFERENCE = CorpusReference.from_verses(TRAINING)


def test_a_copied_line_counts_however_it_is_spelt() -> None:
    generated = [
        ["pigeons on the wire, like a CHORUS in a row!", "Something nobody wrote before today"],
    ]
    measured = copying(generated, REFERENCE)
    assert measured.copied_line_share == pytest.approx(1 / 2)


def test_six_word_sequences_are_looked_up_across_line_breaks() -> None:
    # Words: they never pay the rent | tonight we dance
    # 6-grams: (they never pay the rent tonight), (never pay the rent tonight we),
    # (pay the rent tonight we dance): none is in the corpus (it goes on "but they run").
    assert (
        copying([["They never pay the rent", "Tonight we dance"]], REFERENCE).copied_ngram_share
        == 0
    )
    # they never pay the rent but | never pay the rent but they: both copied, of 2.
    copied = copying([["They never pay the rent", "but they"]], REFERENCE)
    assert copied.copied_ngram_share == pytest.approx(1.0)


def test_the_longest_copied_span_in_words() -> None:
    # "the rent but they run the show" is 7 words of the corpus's second line; "wild" is not.
    words = ["wild", "the", "rent", "but", "they", "run", "the", "show", "wild"]
    assert longest_copied_span(words, REFERENCE) == 7
    assert (
        copying([["Wild the rent but they run the show wild"]], REFERENCE).longest_copied_span == 7
    )


def test_a_span_never_runs_from_one_corpus_verse_into_the_next() -> None:
    # "...run the show" ends verse one, "laundromat at night" starts verse two: 3 + 3 words,
    # never 6 together.
    words = ["run", "the", "show", "laundromat", "at", "night"]
    assert longest_copied_span(words, REFERENCE) == 3


def test_original_text_copies_nothing() -> None:
    measured = copying([["Brand new words for a brand new day"]], REFERENCE)
    assert measured.copied_line_share == 0
    assert measured.copied_ngram_share == 0
    assert measured.longest_copied_span <= 1  # "a" or "new" may be corpus words


def test_no_verses_no_shares() -> None:
    measured = copying([], REFERENCE)
    assert measured.copied_line_share is None
    assert measured.copied_ngram_share is None
    assert measured.longest_copied_span == 0

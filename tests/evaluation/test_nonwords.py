"""Non-words: neither in the CMU dictionary nor words of the training verses."""

from __future__ import annotations

import pytest

from generator.ml.evaluation.nonwords import non_words
from generator.ml.evaluation.reference import CorpusReference

# "skrrt" and "brrrap" are in no dictionary but the corpus uses them: they are words here.
REFERENCE = CorpusReference.from_verses([["Skrrt skrrt the engine goes brrrap"]])


def test_a_word_in_neither_the_dictionary_nor_the_corpus_is_a_non_word() -> None:
    # 8 words; "chaol" and "suitive" are non-words: CMU knows neither.
    measured = non_words([["The chaol in the suitive night", "Skrrt brrrap"]], REFERENCE)
    assert measured.count == 2
    assert measured.share == pytest.approx(2 / 8)
    assert set(measured.examples) == {"chaol", "suitive"}


def test_dropped_g_slang_is_a_word() -> None:
    assert non_words([["Flexin' and nothin' else"]], REFERENCE).count == 0


def test_the_most_frequent_non_words_come_first() -> None:
    measured = non_words([["Zorbl zorbl zorbl recruined"]], REFERENCE)
    assert measured.examples == ("zorbl", "recruined")


def test_no_words_no_share() -> None:
    assert non_words([["..."]], REFERENCE).share is None

"""Syllables per line: the CMU dictionary's count, a spelling estimate for words it lacks."""

from __future__ import annotations

import pytest

from generator.ml.lyrics_writer import LineShape, score_candidate
from generator.ml.syllables import (
    SyllableRange,
    SyllableRangeError,
    line_syllables,
    spelling_estimate,
    word_syllables,
)


@pytest.mark.parametrize(
    ("word", "count"),
    [("fire", 2), ("money", 2), ("beautiful", 3), ("nothin'", 2), ("city's", 2), ("a", 1)],
)
def test_dictionary_words_count_as_the_cmu_dictionary_says(word: str, count: int) -> None:
    assert word_syllables(word) == count


@pytest.mark.parametrize(("word", "count"), [("skrrt", 1), ("drip", 1), ("flexin", 2)])
def test_words_the_dictionary_lacks_are_estimated_from_their_spelling(
    word: str, count: int
) -> None:
    assert word_syllables(word) == count


def test_the_spelling_estimate_drops_a_silent_final_e_but_not_le() -> None:
    assert spelling_estimate("zzvibe") == 1
    assert spelling_estimate("zzapple") == 2


def test_a_line_counts_the_syllables_of_its_words_only() -> None:
    assert line_syllables("Money on my mind, 24/7!") == 5


def test_a_range_says_how_far_a_count_is_outside_it() -> None:
    asked = SyllableRange(8, 10)
    assert [asked.miss(n) for n in (6, 8, 10, 13)] == [2, 0, 0, 3]
    assert 9 in asked and 11 not in asked


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [(0, 4, "from 1 to 40"), (5, 41, "from 1 to 40"), (9, 8, "swap them"), (True, 8, "whole")],
)
def test_a_bad_range_is_refused_with_a_reason(low: object, high: object, message: str) -> None:
    with pytest.raises(SyllableRangeError, match=message):
        SyllableRange(low, high)  # type: ignore[arg-type]


def test_the_chooser_prefers_a_line_in_the_asked_range_over_a_typical_length() -> None:
    shape = LineShape(mean=10.0, sd=2.0)
    common = {
        "seed": 1,
        "temperature": 0.5,
        "round_number": 0,
        "stop_reason": "newline",
        "partner_line": None,
        "line_shape": shape,
        "verse_so_far": [],
        "corpus_index": None,
        "known_words": frozenset(),
        "syllable_range": SyllableRange(4, 5),
    }
    short = score_candidate(text="we run the town", **common)  # type: ignore[arg-type]
    long = score_candidate(  # type: ignore[arg-type]
        text="we run the town at night and never stop to look behind us", **common
    )
    assert (short.syllables, short.syllable_miss) == (4, 0)
    assert long.syllable_miss == long.syllables - 5
    assert short.total is not None and long.total is not None and short.total > long.total

"""Diversity: distinct-2 over all verses, and lines repeated anywhere among them."""

from __future__ import annotations

import pytest

from generator.ml.evaluation.diversity import diversity


def test_distinct_two_counts_word_pairs_within_lines_over_all_verses() -> None:
    # Pairs: (i, got), (got, money) | (i, got), (got, time) | (money, time)? no: "Money" is a
    # line of one word, no pair. 4 pairs, 3 distinct.
    verses = [["I got money", "I got time"], ["Money"]]
    assert diversity(verses).distinct_2 == pytest.approx(3 / 4)


def test_a_line_repeated_in_another_verse_counts_however_it_is_spelt() -> None:
    verses = [["In the cat", "Keep it moving"], ["in the cat!", "Something new"]]
    assert diversity(verses).repeated_line_share == pytest.approx(1 / 4)


def test_no_lines_no_diversity() -> None:
    measured = diversity([[]])
    assert measured.distinct_2 is None
    assert measured.repeated_line_share is None

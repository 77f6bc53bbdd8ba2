"""Shape: words per line, stub lines, lines per verse, lines dropped or cut off."""

from __future__ import annotations

import pytest

from generator.ml.evaluation.shape import WritingCounts, shape


def test_a_verse_with_a_stub_line() -> None:
    # Words per line: 6, 2 ("Should meet"), 5, 7 -> mean 20 / 4 = 5.0; one line under 3 words.
    # Sorted 2, 5, 6, 7: p10 = 2 + 0.3 * (5 - 2) = 2.9; p90 = 6 + 0.7 * (7 - 6) = 6.7.
    verse = [
        "Morning bus is late again today",
        "Should meet",
        "I write a couple bars",
        "Before the coffee cup goes cold again",
    ]
    measured = shape([verse])
    assert measured.words_per_line == pytest.approx(5.0)
    assert measured.words_per_line_p10 == pytest.approx(2.9)
    assert measured.words_per_line_p90 == pytest.approx(6.7)
    assert measured.short_line_share == pytest.approx(1 / 4)
    assert measured.lines_per_verse == pytest.approx(4.0)
    assert measured.dropped_line_share is None  # nobody asked for these lines


def test_lines_dropped_and_cut_off_are_shares_of_the_lines_asked_for() -> None:
    verses = [["One two three four"] * 7, ["One two three four"] * 8]
    measured = shape(verses, writing=WritingCounts(requested=16, dropped=1, cut_off=2))
    assert measured.lines_per_verse == pytest.approx(7.5)
    assert measured.dropped_line_share == pytest.approx(1 / 16)
    assert measured.cut_off_line_share == pytest.approx(2 / 16)


def test_no_lines_no_shape() -> None:
    measured = shape([[]], writing=WritingCounts(requested=8, dropped=8, cut_off=0))
    assert measured.words_per_line is None
    assert measured.lines_per_verse == 0
    assert measured.dropped_line_share == 1.0

from __future__ import annotations

import pytest

from generator.ml.tidy import tidy_line, tidy_lines


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("  we  run   it ", "We run it"),
        ("wait , what ?", "Wait, what?"),
        ("wait,what", "Wait, what"),
        ("it's 3:30 ... right", "It's 3:30... right"),
        ("( yeah ) we here", "(Yeah) we here"),
        ("don ' t stop", "Don't stop"),
        ("they 're here , i 'm gone", "They're here, I'm gone"),
        ("i’ll be there", "I'll be there"),
        ("we get 'em", "We get 'em"),
        ("'cause we can", "'Cause we can"),
    ],
)
def test_a_line_is_tidied(raw: str, tidy: str) -> None:
    assert tidy_line(raw) == tidy


def test_empty_lines_are_dropped() -> None:
    assert tidy_lines(["one line", "   ", "", "two"]) == ["One line", "Two"]

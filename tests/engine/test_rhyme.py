from __future__ import annotations

import pytest

from generator.ml import cmu
from generator.ml.rhyme import is_known_word, last_word, line_rhyme, rhyme_strength


@pytest.mark.parametrize(
    ("a", "b"), [("time", "rhyme"), ("money", "honey"), ("flow", "show"), ("mind", "grind")]
)
def test_known_pairs_rhyme_perfectly(a: str, b: str) -> None:
    match = rhyme_strength(a, b)
    assert (match.score, match.method) == (1.0, "perfect")


@pytest.mark.parametrize(("a", "b"), [("cat", "dog"), ("money", "table"), ("flow", "street")])
def test_non_pairs_do_not_rhyme(a: str, b: str) -> None:
    assert rhyme_strength(a, b).score == 0.0


def test_same_vowel_different_tail_is_a_weaker_rhyme() -> None:
    match = rhyme_strength("mind", "time")
    assert match.method == "assonance"
    assert 0.0 < match.score < 1.0


def test_unknown_words_fall_back_on_spelling() -> None:
    assert rhyme_strength("drip", "shmip").method == "spelling"
    assert rhyme_strength("drip", "shmip").score > rhyme_strength("skrrt", "blurt").score > 0.0
    assert rhyme_strength("zzxq", "brap").score == 0.0


def test_a_word_repeated_is_an_echo_not_a_rhyme() -> None:
    assert rhyme_strength("night", "night").method == "identical"
    assert rhyme_strength("night", "night").score < rhyme_strength("night", "light").score


def test_dropped_g_slang_is_looked_up_as_its_ing_form() -> None:
    assert rhyme_strength("flexin'", "checkin").score > 0.0


def test_a_possessive_the_dictionary_lacks_is_looked_up_as_the_chooser_does() -> None:
    # Neither "clicker's" nor "clickers" is listed: the word without its 's is.
    assert cmu.knows("clicker") and not cmu.knows("clicker's") and not cmu.knows("clickers")
    assert is_known_word("clicker's")  # was a non-word to the evaluation
    match = rhyme_strength("clicker's", "picker")
    assert (match.method, match.score) == ("perfect", 1.0)
    assert not is_known_word("clickerz")


def test_lines_rhyme_on_their_last_words_ignoring_punctuation() -> None:
    assert last_word("I’m on the grind, you know?!") == "know"
    assert (
        line_rhyme("Rolling through the city at night,", "Everything is gonna be alright").score
        == 1.0
    )
    assert line_rhyme("...", "alright").score == 0.0

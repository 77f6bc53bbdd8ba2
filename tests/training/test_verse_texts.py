"""Training on verses: a text is a whole verse with its line breaks, held-out verses stay whole
(augmented copies with them), and a run makes a verse model with either objective."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from generator.ml.verses import NEWLINE
from generator.ml.vocab import Vocabulary
from generator.models import ModelVersion, TrainingRun
from generator.serving import fetch_model_files
from generator.training import (
    RunOptions,
    TrainingListener,
    TrainingRequestError,
    create_training_run,
    start_or_resume_run,
)
from generator.training.corpus_text import split_corpus, training_texts, vocabulary_texts
from generator.training.listener import SessionStarted
from tests.training.conftest import TINY_OPTIONS, VERSES

SPLIT = {"validation_split": 0.25, "seed": 3}


def test_a_verse_text_keeps_its_line_breaks() -> None:
    verses = ["One line here  \nTwo lines there\n\n", "Three"]
    train, validation = training_texts(verses, kind="verses", validation_split=0.0, seed=0)
    assert train == ["One line here\nTwo lines there", "Three"] and validation == []
    lines, _ = training_texts(verses, kind="lines", validation_split=0.0, seed=0)
    assert lines == ["One line here", "Two lines there", "Three"]
    assert NEWLINE in "".join(vocabulary_texts(verses, kind="verses"))
    assert NEWLINE not in "".join(vocabulary_texts(verses, kind="lines"))


def test_held_out_verses_are_whole_and_never_trained_on() -> None:
    train, validation = training_texts(VERSES, kind="verses", **SPLIT)
    assert validation and all(NEWLINE in text for text in validation)
    assert set(validation).isdisjoint(train)
    # The same verses the line split holds out, now whole.
    split = split_corpus(VERSES, **SPLIT)
    assert validation == split.held_out_verses  # these verses have no blank or padded line
    assert len(train) + len(validation) == len(VERSES)


def test_an_augmented_copy_is_held_out_with_its_verse() -> None:
    shuffled = [VERSES[i] for i in (3, 0, 6, 1, 7, 2, 5, 4)]
    augmented = VERSES + shuffled  # build_corpus --augment writes every verse twice
    train, validation = training_texts(augmented, kind="verses", **SPLIT)
    plain_train, plain_validation = training_texts(VERSES, kind="verses", **SPLIT)
    assert validation == plain_validation  # each held-out verse once, every copy kept out
    assert set(train) == set(plain_train) and len(train) == 2 * len(plain_train)
    assert set(validation).isdisjoint(train)


@pytest.mark.django_db
def test_a_verse_run_trains_a_verse_model_with_either_objective(
    corpus_file: Path, work_dirs: Path, objective: str
) -> None:
    run = create_training_run(
        corpus_file=corpus_file,
        options=RunOptions(epochs=1, objective=objective, texts="verses", **TINY_OPTIONS),
    )
    started: list[SessionStarted] = []
    outcome = start_or_resume_run(run.pk, listener=TrainingListener(on_start=started.append))

    run.refresh_from_db()
    assert run.status == TrainingRun.Status.DONE and run.texts == "verses"
    assert run.hyperparameters["texts"] == "verses"
    version = ModelVersion.objects.get(training_run=run)
    assert version.metrics["texts"] == "verses"
    files, _ = fetch_model_files(version)
    assert NEWLINE in Vocabulary.load(files.vocab)
    # Validation is the held-out verses' characters and every line's end (a newline, `<s>` after
    # the last): one window each, as many as a line model's windows on the same lines.
    held_out = split_corpus(VERSES, validation_split=0.2, seed=0).held_out_verses
    lines = [line for verse in held_out for line in verse.split("\n")]
    assert started[0].validation_windows == sum(len(line) + 1 for line in lines)
    assert run.epoch_metrics[0]["val_loss"] is not None
    assert "done" in outcome.message


@pytest.mark.django_db
def test_a_lines_run_is_still_a_line_model(corpus_file: Path, work_dirs: Path) -> None:
    run = create_training_run(
        corpus_file=corpus_file, options=RunOptions(epochs=1, texts="lines", **TINY_OPTIONS)
    )
    start_or_resume_run(run.pk)

    version = ModelVersion.objects.get(training_run=run)
    files, _ = fetch_model_files(version)
    assert NEWLINE not in Vocabulary.load(files.vocab)
    assert version.metrics["texts"] == "lines"


@pytest.mark.django_db
def test_the_pretrained_network_grows_a_newline_for_a_verse_run(
    corpus_file: Path, work_dirs: Path
) -> None:
    run = create_training_run(
        corpus_file=corpus_file,
        options=RunOptions(epochs=1, objective="last", texts="verses", validation_split=0.2),
    )
    start_or_resume_run(run.pk)

    files, _ = fetch_model_files(ModelVersion.objects.get(training_run=run))
    vocabulary = Vocabulary.load(files.vocab)
    assert vocabulary.size == 465 and vocabulary.token_to_id[NEWLINE] == 465


@pytest.mark.django_db
def test_bad_text_kinds_are_refused_in_one_line(corpus_file: Path, work_dirs: Path) -> None:
    with pytest.raises(TrainingRequestError, match="texts must be one of lines, verses"):
        create_training_run(
            corpus_file=corpus_file,
            options=RunOptions(texts="stanzas"),  # type: ignore[arg-type]
        )
    with pytest.raises(TrainingRequestError, match="character-level"):
        create_training_run(
            corpus_file=corpus_file,
            options=RunOptions(from_pretrained=False, model_options={"word_level": True}),
        )
    with pytest.raises(CommandError, match="invalid choice: 'stanzas'"):
        call_command(
            "train", "--corpus-file", str(corpus_file), "--texts", "stanzas", stderr=StringIO()
        )
    assert not TrainingRun.objects.exists()

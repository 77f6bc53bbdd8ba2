"""A corpus too small to train anything good (lyrics.corpus_size, measured in docs/quality.md)
is called out where training starts (the command, the admin's form), on the corpus's admin
page, and on the website while a model trained on one is served."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from generator.models import ModelVersion, TrainingRun
from generator.training import RunOptions, corpus_size_warning, create_training_run
from lyrics.corpus_size import SMALL_CORPUS_CHARS, distinct_chars, small_corpus_warning
from lyrics.models import Corpus
from tests.training.conftest import TINY_FLAGS, VERSES, corpus_row, write_corpus

pytestmark = pytest.mark.django_db


def big_verses() -> list[str]:
    """Invented distinct verses, just over the threshold."""
    verses = []
    number = 0
    while sum(len(v) for v in verses) < SMALL_CORPUS_CHARS + 500:
        number += 1
        verses.append(
            f"Verse {number} starts on the corner where the buses turn around\n"
            f"Number {number} keeps the rhythm when the city settles down"
        )
    return verses


def test_the_threshold_counts_distinct_verse_text() -> None:
    assert small_corpus_warning(SMALL_CORPUS_CHARS) is None
    warning = small_corpus_warning(SMALL_CORPUS_CHARS - 1)
    assert warning is not None and "too small" in warning and f"{SMALL_CORPUS_CHARS:,}" in warning
    # An augmented copy of a verse adds no text.
    assert distinct_chars(["abc", "de", "abc"]) == 5


def test_the_train_command_warns_on_a_small_corpus_and_still_trains(
    corpus_file: Path, work_dirs: Path
) -> None:
    errors = StringIO()
    call_command(
        "train", "--corpus-file", str(corpus_file), *TINY_FLAGS, "--epochs", "1",
        stdout=StringIO(), stderr=errors,
    )  # fmt: skip
    chars = distinct_chars(VERSES)
    assert f"warning: This corpus is too small to train anything good: {chars:,}" in (
        errors.getvalue()
    )
    assert TrainingRun.objects.get().status == TrainingRun.Status.DONE


def test_a_big_enough_corpus_gets_no_warning(tmp_path: Path, work_dirs: Path) -> None:
    path = write_corpus(tmp_path / "big.txt", big_verses())
    run = create_training_run(corpus_file=path, options=RunOptions(epochs=1))
    assert corpus_size_warning(run) is None
    assert corpus_size_warning(create_training_run(corpus_id=corpus_row(path).pk)) is None


def test_the_corpus_admin_page_and_the_training_form_say_it_is_too_small(
    corpus: Corpus, staff_client: Client, tmp_path: Path
) -> None:
    page = staff_client.get(reverse("admin:lyrics_corpus_change", args=[corpus.pk]))
    assert "Too small: This corpus is too small" in page.content.decode()

    form = staff_client.get(reverse("admin:generator_trainingrun_start", args=[corpus.pk]))
    assert "This corpus is too small to train anything good" in form.content.decode()

    big = corpus_row(write_corpus(tmp_path / "big.txt", big_verses()))
    page = staff_client.get(reverse("admin:lyrics_corpus_change", args=[big.pk]))
    assert "too small" not in page.content.decode()
    assert "Yes: " in page.content.decode()


@pytest.mark.parametrize("chars", [4_000, SMALL_CORPUS_CHARS])
def test_the_website_warns_while_a_model_of_a_small_corpus_is_served(
    client: Client, chars: int
) -> None:
    ModelVersion.objects.create(
        name="tiny-corpus-model",
        weights_key="w",
        vocab_key="v",
        config_key="c",
        weights_sha256="1" * 64,
        metrics={"corpus_chars": chars},
        is_active=True,
    )
    about = BeautifulSoup(client.get("/").content, "html.parser").find(id="about")
    warning = about.find(id="about-size-warning")
    if chars < SMALL_CORPUS_CHARS:
        assert "Expect rough lines." in warning.get_text()
        assert "4,000 characters" in warning.get_text()
    else:
        assert warning is None

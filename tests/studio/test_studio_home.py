"""The admin's index is the studio home: the pipeline at a glance, the running runs with their
progress, the served model with its evaluation, and the next step with a button for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generator.models import ModelVersion, TrainingRun
from generator.selectors import training_progress
from lyrics.models import Corpus
from raplyrics.studio import next_step, pipeline_overview
from tests.evaluation.stored_evaluations import GOOD, version_with_evaluations
from tests.factories import ArtistFactory, SongFactory, UserFactory, VerseFactory

pytestmark = pytest.mark.django_db

HOME = "/admin/"


def _corpus(tmp_path: Path, name: str = "corpus.txt") -> Corpus:
    path = tmp_path / name
    path.write_text("a line\n\nanother line\n")
    return Corpus.objects.create(
        file_path=str(path),
        sha256="0" * 64,
        byte_size=20,
        verse_count=2,
        source_verse_count=2,
        char_count=20,
        line_count=2,
        vocabulary_size=10,
        word_vocabulary_size=3,
    )


def _home(client: Client) -> str:
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def test_with_nothing_yet_the_next_step_is_to_scrape_an_artist(staff_client: Client) -> None:
    page = _home(staff_client)

    assert "Next: Scrape an artist" in page
    assert f'href="{reverse("admin:lyrics_artist_scrape_by_name")}"' in page
    assert 'class="app-lyrics' in page  # Django's list of models is still there, below


def test_scraped_songs_without_verses_are_to_be_cleaned(staff_client: Client) -> None:
    SongFactory(raw_lyrics="[Verse 1]\nA line to clean")

    page = _home(staff_client)

    assert "Next: Clean the lyrics" in page
    assert "1 scraped songs have no verses yet" in page
    assert f'href="{reverse("admin:lyrics_cleaningrule_rerun")}"' in page


def test_included_verses_without_a_corpus_are_to_be_built_into_one(staff_client: Client) -> None:
    VerseFactory(included=True)
    VerseFactory(included=False)

    page = _home(staff_client)

    assert "Next: Build a corpus" in page
    assert f'href="{reverse("admin:lyrics_corpus_build")}"' in page
    assert "1 included," in page and "1 excluded</a>" in page


def test_a_corpus_without_a_finished_run_is_to_be_trained(
    staff_client: Client, tmp_path: Path
) -> None:
    VerseFactory()
    corpus = _corpus(tmp_path)
    TrainingRun.objects.create(corpus=corpus, epochs=1, status=TrainingRun.Status.FAILED)

    page = _home(staff_client)

    assert f"Next: Train a model on corpus #{corpus.pk}" in page
    assert f'href="{reverse("admin:generator_trainingrun_start", args=[corpus.pk])}"' in page


def test_a_running_run_is_shown_with_its_progress(staff_client: Client, tmp_path: Path) -> None:
    VerseFactory()
    run = TrainingRun.objects.create(
        corpus=_corpus(tmp_path),
        epochs=4,
        status=TrainingRun.Status.RUNNING,
        progress={"epoch": 2, "batch": 3, "batches": 10, "windows_per_second": 1625.3,
                  "eta_seconds": 30},
    )  # fmt: skip

    page = _home(staff_client)

    assert f"Next: Training: run #{run.pk}" in page
    assert "1 running</span>" in page
    progress = reverse("admin:generator_trainingrun_progress", args=[run.pk])
    assert f'data-training-progress="{progress}">epoch 2/4, batch 3/10, 1,625 windows/s' in page
    assert "js/training-progress.js" in page


@pytest.mark.parametrize(
    ("patience", "time_left"), [(3, "at most about 30 s left"), (None, ", about 30 s left")]
)
def test_the_time_left_is_a_bound_when_the_run_may_stop_early(
    tmp_path: Path, patience: int | None, time_left: str
) -> None:
    run = TrainingRun.objects.create(
        corpus=_corpus(tmp_path),
        epochs=6,
        status=TrainingRun.Status.RUNNING,
        hyperparameters={"training": {"patience": patience}},
        progress={"epoch": 2, "batch": 3, "batches": 10, "windows_per_second": 1625.3,
                  "eta_seconds": 30},
    )  # fmt: skip

    progress = training_progress(run)

    assert progress["may_stop_early"] is (patience is not None)
    assert progress["summary"].endswith(time_left)


def test_a_finished_version_not_served_gets_an_activate_button(
    staff_client: Client, tmp_path: Path
) -> None:
    VerseFactory()
    corpus = _corpus(tmp_path)
    run = TrainingRun.objects.create(corpus=corpus, epochs=1, status=TrainingRun.Status.DONE)
    version = ModelVersion.objects.create(name="run-1", training_run=run, corpus=corpus)

    page = _home(staff_client)

    assert "Next: Serve run-1" in page
    activate = reverse("admin:generator_modelversion_activate", args=[version.pk])
    assert f'<form method="post" action="{activate}">' in page
    staff_client.post(activate)
    assert ModelVersion.objects.active() == version


def test_the_served_model_is_shown_with_its_evaluation(
    staff_client: Client, tmp_path: Path
) -> None:
    VerseFactory()
    corpus = _corpus(tmp_path)
    TrainingRun.objects.create(corpus=corpus, epochs=1, status=TrainingRun.Status.DONE)
    version = version_with_evaluations("served-one", GOOD)
    TrainingRun.objects.update(status=TrainingRun.Status.DONE)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)

    page = _home(staff_client)

    assert "Next: Write lyrics" in page and "served-one is served" in page
    assert "served-one: latest evaluation" in page
    assert '<th scope="row">rhyme density</th>' in page


def test_a_step_the_user_may_not_take_has_no_button() -> None:
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(viewer)

    page = _home(client)

    assert "Next: Scrape an artist" in page
    assert reverse("admin:lyrics_artist_scrape_by_name") not in page
    assert "needs a permission you do not have" in page


def _fill(tmp_path: Path, copies: int) -> None:
    start = Corpus.objects.count()
    for index in range(start, start + copies):
        artist = ArtistFactory()
        song = SongFactory(artist=artist)
        VerseFactory(song=song, included=bool(index % 2))
        SongFactory(artist=artist, raw_lyrics="[Verse]\nnot cleaned yet")
        corpus = _corpus(tmp_path, f"corpus-{index}.txt")
        TrainingRun.objects.create(corpus=corpus, epochs=3, status=TrainingRun.Status.RUNNING)
        done = TrainingRun.objects.create(epochs=3, status=TrainingRun.Status.DONE)
        ModelVersion.objects.create(name=f"version-{index}", training_run=done)
    version = version_with_evaluations(f"served-{start}", GOOD)
    ModelVersion.objects.filter(is_active=True).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        _home(client)
    return len(queries)


def test_the_home_reads_the_pipeline_in_constant_queries(
    staff_client: Client, tmp_path: Path
) -> None:
    _fill(tmp_path, 1)
    few = _queries(staff_client)
    _fill(tmp_path, 6)
    many = _queries(staff_client)

    assert many == few
    overview = pipeline_overview()
    assert (overview.artists, overview.songs, overview.songs_to_clean) == (7, 14, 7)
    assert len(overview.active_runs) == 5  # of 9 queued or running: the home shows the first


def test_next_step_follows_the_pipeline_in_order(tmp_path: Path, settings: Any) -> None:
    assert next_step(pipeline_overview()).url_name == "admin:lyrics_artist_scrape_by_name"
    SongFactory()
    assert next_step(pipeline_overview()).url_name == "admin:lyrics_cleaningrule_rerun"
    verse = VerseFactory(included=False)
    assert next_step(pipeline_overview()).url_name == "admin:lyrics_verse_changelist"
    verse.included = True
    verse.save()
    assert next_step(pipeline_overview()).url_name == "admin:lyrics_corpus_build"
    corpus = _corpus(tmp_path)
    assert next_step(pipeline_overview()).url_name == "admin:generator_trainingrun_start"
    run = TrainingRun.objects.create(corpus=corpus, epochs=1, status=TrainingRun.Status.QUEUED)
    assert next_step(pipeline_overview()).url_name == "admin:generator_trainingrun_change"
    TrainingRun.objects.filter(pk=run.pk).update(status=TrainingRun.Status.DONE)
    ModelVersion.objects.create(name="run-1", training_run=run, corpus=corpus)
    step = next_step(pipeline_overview())
    assert (step.url_name, step.method) == ("admin:generator_modelversion_activate", "post")
    ModelVersion.objects.update(is_active=True)
    assert next_step(pipeline_overview()).url_name == "home"

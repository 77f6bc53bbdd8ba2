"""A Celery broker that is configured but down: every door that queues a task answers in one
line and leaves nothing half-started (a training run is marked failed, saying why, rather than
left queued with no task), where it was a 500 or a run that never started.

Run in a fresh interpreter: the broker is chosen when Celery's app starts.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.fresh_interpreter import run_django_script

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once

_SCRIPT = r"""
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
answers = {}

from scraping.errors import ScrapeError
from scraping.jobs import ScrapeRequest, start_scrape
try:
    start_scrape(ScrapeRequest(genius_id=1, songs_per_artist=1))
except ScrapeError as error:
    answers["scrape"] = str(error)

from lyrics.corpus_builder import CorpusError
from lyrics.corpus_jobs import CorpusBuildRequest, start_corpus_build
try:
    start_corpus_build(CorpusBuildRequest())
except CorpusError as error:
    answers["corpus"] = str(error)

import hashlib, pathlib, tempfile
from generator.models import TrainingRun
from generator.tasks import send_training_task
from generator.training.errors import TrainingRequestError
from generator.training.queueing import queue_training_run
from lyrics.models import Corpus
path = pathlib.Path(tempfile.mkdtemp()) / "corpus.txt"
path.write_text("Morning bus is late again\nI write a couple bars\n")
data = path.read_bytes()
corpus = Corpus.objects.create(
    file_path=str(path), sha256=hashlib.sha256(data).hexdigest(), byte_size=len(data),
    verse_count=1, source_verse_count=1, char_count=len(data), line_count=2,
    vocabulary_size=20, word_vocabulary_size=9,
)
try:
    queue_training_run(corpus_id=corpus.pk, hand_over=send_training_task)
except TrainingRequestError as error:
    answers["training"] = str(error)
run = TrainingRun.objects.get()
answers["run"] = [run.pk, run.status, run.error]

from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # the client then records the rendered context (the messages)
from lyrics.models import Artist, Song
artist = Artist.objects.create(name="Someone")
song = Song.objects.create(artist=artist, title="A song", raw_lyrics="la la")
client = Client()
client.force_login(User.objects.create_superuser("staff", "staff@example.org", "pw"))
response = client.post(
    "/admin/lyrics/song/", {"action": "reclean_songs", "_selected_action": [song.pk]},
    follow=True,
)
answers["admin"] = [response.status_code, [str(m) for m in response.context["messages"]]]
print(json.dumps(answers))
"""


def test_every_door_that_queues_a_task_answers_in_one_line_when_the_broker_is_down(
    tmp_path: Path,
) -> None:
    keep = ("DJANGO_", "DATABASE_", "CELERY_", "RAPLYRICS_", "ARTIFACTS_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(keep)}
    env |= {
        "RAPLYRICS_DATA_DIR": str(tmp_path / "data"),
        "CELERY_BROKER_URL": DOWN,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    answers, _ = run_django_script(_SCRIPT, env=env)

    down = "the task queue cannot be reached ("
    queued_nothing = "); nothing was queued: start the broker CELERY_BROKER_URL names and try again"
    for door in ("scrape", "corpus"):
        assert answers[door].startswith(down) and answers[door].endswith(queued_nothing)
        assert "\n" not in answers[door]
    run_id, status, error = answers["run"]
    assert answers["training"] == f"run #{run_id} was not started: {error[len('not started: ') :]}"
    assert status == "failed" and error.startswith(f"not started: {down}")
    status_code, messages = answers["admin"]
    assert status_code == 200
    assert len(messages) == 1 and messages[0].startswith(f"Cleaning not started: {down}")

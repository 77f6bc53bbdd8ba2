"""manage.py clean_lyrics and the Celery task behind the admin's re-run."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lyrics.tasks import clean_lyrics_task
from tests.cleaning.lyrics_fixtures import CLUTTERED_SONG
from tests.factories import SongFactory


@pytest.mark.django_db
def test_clean_lyrics_prints_per_rule_counts_and_totals() -> None:
    SongFactory(raw_lyrics=CLUTTERED_SONG)
    out = StringIO()
    call_command("clean_lyrics", stdout=out, stderr=StringIO())
    report = out.getvalue()
    assert "embed trailer" in report and "contributors header" in report
    assert "Cleaned 1 song(s) (1 changed" in report
    assert "4 verses, 4 created" in report


@pytest.mark.django_db
def test_clean_lyrics_dry_run_for_one_song_writes_nothing() -> None:
    song = SongFactory(raw_lyrics=CLUTTERED_SONG)
    other = SongFactory(raw_lyrics="[Verse]\nanother one")
    out = StringIO()
    call_command("clean_lyrics", "--song", str(song.pk), "--dry-run", stdout=out)
    assert "Dry run, nothing written: would clean 1 song(s)" in out.getvalue()
    assert not song.verses.exists() and not other.verses.exists()


@pytest.mark.django_db
def test_clean_lyrics_refuses_an_unknown_song_in_one_line() -> None:
    with pytest.raises(CommandError, match="no song with id 424242"):
        call_command("clean_lyrics", "--song", "424242", stdout=StringIO())


@pytest.mark.django_db
def test_the_cleaning_task_runs_the_same_service() -> None:
    song = SongFactory(raw_lyrics=CLUTTERED_SONG)
    summary = clean_lyrics_task.delay().get()
    assert summary["verses_created"] == 4
    assert song.verses.count() == 4

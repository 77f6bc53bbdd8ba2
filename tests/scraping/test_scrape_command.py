"""`manage.py scrape` against the fake Genius: rows, summary lines, one-line errors, resume."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from lyrics.models import Artist, Song
from tests.fakegenius.catalog import NOVA_QUILL_SPECIAL, nova_quill_song_id
from tests.fakegenius.server import FakeGenius, Fault

pytestmark = pytest.mark.django_db


def scrape(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("scrape", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def failing_scrape(*args: str, explain: Callable[[], str] | None = None) -> CommandError:
    """The one-line CommandError a scrape ends with; `explain` says what happened if none."""
    try:
        scrape(*args)
    except CommandError as error:
        assert "\n" not in str(error)
        return error
    pytest.fail("the scrape ended without an error" + (f": {explain()}" if explain else ""))


def ordinary_ranks(count: int) -> list[int]:
    return [rank for rank in range(1, 200) if rank not in NOVA_QUILL_SPECIAL][:count]


def test_it_scrapes_sixty_songs_of_an_artist_and_prints_one_summary_line(
    genius_settings: Settings,
) -> None:
    stdout, stderr = scrape("--artist", "Nova Quill", "--songs-per-artist", "60")

    assert Artist.objects.get().genius_id == 101
    assert Song.objects.count() == 60
    assert sorted(Song.objects.values_list("popularity_rank", flat=True)) == ordinary_ranks(60)
    assert stdout.strip().splitlines() == [
        "Nova Quill (Genius id 101): has 60 of 60 songs (60 new); skipped 11 (1 credits, "
        "1 instrumental, 1 interlude, 1 interview, 1 intro outro, 1 live, 1 lyrics not complete, "
        "1 not primary artist, 1 remix, 1 skit, 1 tracklist); failed 1 (1 no lyrics); retries 0"
    ]
    # Not a TTY: no progress bar.
    assert stderr == ""


def test_a_second_run_stores_nothing_twice(genius_settings: Settings) -> None:
    scrape("--artist", "Nova Quill", "--songs-per-artist", "5")

    stdout, _ = scrape("--artist", "nova quill", "--songs-per-artist", "5")

    assert Song.objects.count() == 5
    assert "has 5 of 5 songs (5 already stored)" in stdout


def test_it_reads_artists_from_a_file_and_takes_ids(
    genius_settings: Settings, tmp_path: Path
) -> None:
    names = tmp_path / "artists.txt"
    names.write_text("# the chosen ones\nUnder and Over\n\nnova quill\nNova Quill\n", "utf-8")

    stdout, _ = scrape(
        "--artists-file", str(names), "--genius-id", "303", "--songs-per-artist", "2"
    )

    assert set(Artist.objects.values_list("genius_id", flat=True)) == {101, 202, 303}
    assert Song.objects.filter(artist__genius_id=101).count() == 2
    lines = stdout.strip().splitlines()
    assert [line.split(" (Genius id")[0] for line in lines[:3]] == [
        "Ünder & Över",
        "Nova Quill",
        "Mirror Twin",
    ]
    assert lines[-1] == "3 artists have 5 songs in all"


def test_retries_appear_in_the_summary(genius_settings: Settings, fake_genius: FakeGenius) -> None:
    fake_genius.add_fault("/api/songs/20001", Fault(status=429, headers={"Retry-After": "0"}))
    fake_genius.add_fault("/api/artists/202/songs", Fault(status=500))

    stdout, _ = scrape("--artist", "Ünder & Över")

    assert "retries 2 (1 HTTP 429, 1 HTTP 500)" in stdout
    assert Song.objects.count() == 2


def test_a_dry_run_lists_and_writes_nothing(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    stdout, _ = scrape("--artist", "Nova Quill", "--songs-per-artist", "3", "--dry-run", "-v", "2")

    assert Artist.objects.count() == 0 and Song.objects.count() == 0
    assert "  #1 Quill Song 1: planned" in stdout
    assert "  #3 Paper Lanterns (Skit): skipped (skit)" in stdout
    assert "would have 3 of 3 songs (3 planned)" in stdout
    assert not any(request.path.startswith("/api/songs/") for request in fake_genius.requests)


def test_it_is_silent_at_verbosity_zero(genius_settings: Settings) -> None:
    stdout, stderr = scrape("--artist", "Nova Quill", "--songs-per-artist", "2", "-v", "0")

    assert (stdout, stderr) == ("", "")
    assert Song.objects.count() == 2


def test_keep_lets_a_skipped_kind_through(genius_settings: Settings) -> None:
    scrape("--artist", "Nova Quill", "--songs-per-artist", "3", "--keep", "skit")

    assert Song.objects.filter(title="Paper Lanterns (Skit)").exists()


def test_without_a_token_it_fails_before_any_request(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    genius_settings.GENIUS_ACCESS_TOKEN = ""

    error = failing_scrape("--artist", "Nova Quill")

    assert "GENIUS_ACCESS_TOKEN is not set" in str(error)
    assert fake_genius.requests == []


def test_a_rejected_token_says_what_to_check(genius_settings: Settings) -> None:
    genius_settings.GENIUS_ACCESS_TOKEN = "revoked"

    error = failing_scrape("--artist", "Nova Quill")

    assert "HTTP 401" in str(error) and "check GENIUS_ACCESS_TOKEN" in str(error)
    assert Artist.objects.count() == 0


def test_an_unknown_artist_fails_before_any_song_is_scraped(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    error = failing_scrape("--artist", "Nova Quill", "--artist", "Nova Nobody")

    assert str(error).startswith("no Genius artist named 'Nova Nobody'; the search found")
    assert Artist.objects.count() == 0
    assert not any("/songs" in request.path for request in fake_genius.requests)


def test_an_ambiguous_artist_lists_the_candidates(genius_settings: Settings) -> None:
    error = failing_scrape("--artist", "Mirror Twin")

    assert "Mirror Twin (id 303), MIRROR-TWIN (id 304)" in str(error)
    assert "pass --genius-id with the one you mean instead of --artist 'Mirror Twin'" in str(error)
    assert "(e.g. --genius-id 303)" in str(error)
    assert Artist.objects.count() == 0


def test_an_unknown_genius_id_says_genius_has_no_such_artist(genius_settings: Settings) -> None:
    error = failing_scrape("--genius-id", "999999")

    assert str(error) == "Genius has no artist with id 999999 (it answers 404): check the id"
    assert Artist.objects.count() == 0


def test_an_artist_gone_from_genius_is_not_told_to_run_again(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    fake_genius.add_fault("/api/artists/101/songs", Fault(status=404, times=None))

    error = failing_scrape("--artist", "Nova Quill")

    assert "Genius has no artist with id 101 any more (its song listing answers 404)" in str(error)
    assert "check the artist on Genius; a re-run cannot help" in str(error)
    assert "resume" not in str(error)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--artist", "Nova Quill", "--dry-run", "--refresh"], "use one of them"),
        (["--songs-per-artist", "5"], "name at least one artist"),
        (["--artist", "Nova Quill", "--songs-per-artist", "0"], "at least 1"),
        (["--artists-file", "/nonexistent/artists.txt"], "cannot read --artists-file"),
    ],
)
def test_bad_input_is_refused_in_one_line(
    genius_settings: Settings, fake_genius: FakeGenius, args: list[str], message: str
) -> None:
    error = failing_scrape(*args)

    assert message in str(error)
    assert fake_genius.requests == []


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, as in a `manage.py scrape` started from a terminal. A
    test run started in the background (`make test &`, nohup) inherits SIGINT ignored (a shell
    ignores it for the commands it runs asynchronously) and Python leaves it so: there the
    interrupt never came and the scrape finished."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_mid_song_leaves_whole_songs_and_the_same_command_resumes(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    ranks = ordinary_ranks(6)
    interrupted_song = fake_genius.catalog.songs[nova_quill_song_id(ranks[3])]
    # The interrupt lands while the song page's answer is being read.
    fake_genius.add_fault(interrupted_song.page_path, Fault(status=200, interrupt_main=True))

    stored_before = sorted(Song.objects.values_list("genius_id", flat=True))

    def what_happened() -> str:
        # If the interrupt does not surface, say why.
        return (
            f"songs stored before {stored_before}, after "
            f"{sorted(Song.objects.values_list('genius_id', flat=True))}; Genius was asked for "
            f"{[request.path for request in fake_genius.requests]}; the interrupting page is "
            f"{interrupted_song.page_path}; SIGINT's handler {signal.getsignal(signal.SIGINT)!r}"
        )

    error = failing_scrape(
        "--artist", "Nova Quill", "--songs-per-artist", "6", explain=what_happened
    )

    assert error.returncode == 130
    assert "interrupted during Nova Quill after 3 song(s)" in str(error)
    assert sorted(Song.objects.values_list("popularity_rank", flat=True)) == ranks[:3]

    stdout, _ = scrape("--artist", "Nova Quill", "--songs-per-artist", "6")

    assert "has 6 of 6 songs (3 already stored, 3 new)" in stdout
    assert sorted(Song.objects.values_list("popularity_rank", flat=True)) == ranks
    for song in Song.objects.all():
        assert song.raw_lyrics == fake_genius.catalog.songs[song.genius_id].expected_lyrics


def test_a_run_genius_cuts_short_exits_non_zero_and_says_to_rerun(
    genius_settings: Settings, fake_genius: FakeGenius
) -> None:
    fake_genius.add_fault("/api/artists/101/songs", Fault(status=503, times=None))

    error = failing_scrape("--artist", "Nova Quill")

    assert str(error).startswith("1 of 1 artist(s) did not finish (Nova Quill)")
    assert "run the same command again to resume" in str(error)

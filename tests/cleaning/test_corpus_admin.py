"""Corpora in the admin: built from a form in the background, read back, downloaded, linked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from lyrics.background import start_manage_command
from lyrics.corpus_jobs import CorpusBuildRequest
from lyrics.models import Artist, Corpus
from tests.cleaning.test_corpus import STANZAS
from tests.factories import ArtistFactory, SongFactory, UserFactory, VerseFactory

pytestmark = pytest.mark.django_db
BUILD = reverse("admin:lyrics_corpus_build")


@pytest.fixture
def two_artists() -> None:
    north = SongFactory(artist=ArtistFactory(name="North Example"))
    south = SongFactory(artist=ArtistFactory(name="South Sample"))
    for position, text in enumerate(STANZAS[:3]):
        VerseFactory(song=north, position=position, text=text)
    VerseFactory(song=south, position=0, text=STANZAS[3])


def test_the_corpus_list_offers_a_build(staff_client: Client) -> None:
    page = staff_client.get(reverse("admin:lyrics_corpus_changelist")).content.decode()
    assert f'href="{BUILD}"' in page


def test_a_corpus_built_from_the_admin_takes_the_commands_options(
    staff_client: Client, two_artists: None
) -> None:
    north_id = Artist.objects.get(name="North Example").pk

    response = staff_client.post(
        BUILD, {"artists": [north_id], "min_chars": 10, "augment": "on", "seed": 7}
    )

    corpus = Corpus.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:lyrics_corpus_change", args=[corpus.pk])
    assert (corpus.augmented, corpus.seed, corpus.min_chars) == (True, 7, 10)
    assert corpus.artist_filter == ["North Example"]
    assert corpus.source_verse_count == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"min_chars": 0, "seed": 3}, "the seed only applies when the corpus is augmented"),
        ({"min_chars": 5000}, "Not built: no verses to put in the corpus"),
        ({"min_chars": -1}, "greater than or equal to 0"),
    ],
)
def test_a_build_that_cannot_be_done_says_why_and_records_nothing(
    staff_client: Client, two_artists: None, data: dict[str, object], message: str
) -> None:
    response = staff_client.post(BUILD, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Corpus.objects.exists()


def test_building_needs_the_add_corpus_permission(two_artists: None) -> None:
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_corpus"))
    client = Client()
    client.force_login(viewer)
    assert (
        f'href="{BUILD}"'
        not in client.get(reverse("admin:lyrics_corpus_changelist")).content.decode()
    )
    assert client.post(BUILD, {"min_chars": 0}).status_code == 403
    assert not Corpus.objects.exists()


def test_a_corpus_page_shows_its_text_its_artists_and_links_its_runs_and_file(
    staff_client: Client, two_artists: None
) -> None:
    staff_client.post(BUILD, {"min_chars": 0})
    corpus = Corpus.objects.get()

    page = staff_client.get(reverse("admin:lyrics_corpus_change", args=[corpus.pk]))

    html = page.content.decode()
    assert STANZAS[0].split("\n")[0] in html
    assert "<td>North Example</td><td>3</td>" in html
    assert '<svg class="share-chart"' in html and 'class="share-bar"' in html
    assert " style=" not in html.split('<svg class="share-chart"')[1].split("</svg>")[0]
    assert f"/admin/generator/trainingrun/?corpus__id__exact={corpus.pk}" in html
    download = staff_client.get(reverse("admin:lyrics_corpus_download", args=[corpus.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == corpus.path.read_bytes()  # type: ignore[attr-defined]


def test_a_corpus_whose_file_is_gone_says_so(staff_client: Client, two_artists: None) -> None:
    staff_client.post(BUILD, {"min_chars": 0})
    corpus = Corpus.objects.get()
    corpus.path.unlink()

    page = staff_client.get(reverse("admin:lyrics_corpus_change", args=[corpus.pk]))

    assert "cannot be read on this machine" in page.content.decode()
    missing = staff_client.get(reverse("admin:lyrics_corpus_download", args=[corpus.pk]))
    assert missing.status_code == 404


def test_without_a_broker_the_build_command_line_has_the_options() -> None:
    request = CorpusBuildRequest(augment=True, seed=4, artist_names=("A", "B C"), min_chars=9)
    assert request.command_arguments() == [
        "build_corpus",
        "--min-chars",
        "9",
        "--augment",
        "--seed",
        "4",
        "--artist",
        "A",
        "--artist",
        "B C",
    ]


def test_a_manage_command_of_its_own_writes_its_log(tmp_path: Path) -> None:
    # The process runs outside the test database, so it is shown with a command that needs none.
    process = start_manage_command(["help", "build_corpus"], log_path=tmp_path / "build.log")
    assert process.wait(timeout=120) == 0
    assert "--min-chars" in (tmp_path / "build.log").read_text()
    assert process.args[0] == sys.executable

"""The curation loop in the admin: rule list, preview that writes nothing, re-run, corpora."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lyrics import services
from lyrics.cleaning.verses import clean_lyrics
from lyrics.corpus_builder import build_corpus
from lyrics.models import CleaningRule, Verse
from tests.cleaning.lyrics_fixtures import CLUTTERED_SONG
from tests.factories import SongFactory

WRITES = ("INSERT", "UPDATE", "DELETE")


def test_the_rule_list_shows_rules_in_order_with_editable_position_and_switch(
    staff_client: Client,
) -> None:
    response = staff_client.get(reverse("admin:lyrics_cleaningrule_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("invisible characters") < page.index("curly apostrophes")
    assert 'name="form-0-position"' in page and 'name="form-0-enabled"' in page
    assert "Re-run cleaning" in page


def test_disabling_rules_from_the_list(staff_client: Client) -> None:
    rule = CleaningRule.objects.get(name="urls")
    staff_client.post(
        reverse("admin:lyrics_cleaningrule_changelist"),
        {"action": "disable_rules", "_selected_action": [rule.pk]},
    )
    rule.refresh_from_db()
    assert rule.enabled is False


def test_an_invalid_regex_is_shown_on_the_form_and_not_saved(staff_client: Client) -> None:
    response = staff_client.post(
        reverse("admin:lyrics_cleaningrule_add"),
        {"position": 5, "name": "oops", "kind": "regex", "pattern": "[unclosed", "enabled": "on"},
    )
    assert response.status_code == 200
    assert "invalid regex: unterminated character set" in response.content.decode()
    assert not CleaningRule.objects.filter(name="oops").exists()


def test_the_preview_counts_changes_and_shows_samples_without_writing(
    staff_client: Client,
) -> None:
    song = SongFactory(raw_lyrics=CLUTTERED_SONG)
    SongFactory(raw_lyrics="[Verse]\nnothing to see here")
    clean_lyrics()
    before = list(Verse.objects.order_by("pk").values_list("pk", "text", "updated_at"))
    rule = CleaningRule.objects.get(name="urls")

    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(reverse("admin:lyrics_cleaningrule_preview", args=[rule.pk]))

    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.songs_scanned, preview.songs_changed, preview.verses_changed) == (2, 1, 1)
    assert "https://example.test" in preview.samples[0].before
    assert "https://example.test" not in preview.samples[0].after
    assert preview.samples[0].song_id == song.pk
    # Sessions may be touched by the login; the catalogue and rules never are.
    lyric_writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(WRITES) and "lyrics_" in query["sql"]
    ]
    assert lyric_writes == []
    assert list(Verse.objects.order_by("pk").values_list("pk", "text", "updated_at")) == before


def test_the_preview_of_unsaved_values_flags_a_rule_that_empties_most_verses(
    staff_client: Client,
) -> None:
    SongFactory(raw_lyrics=CLUTTERED_SONG)
    rule = CleaningRule.objects.get(name="urls")
    response = staff_client.post(
        reverse("admin:lyrics_cleaningrule_preview", args=[rule.pk]),
        {"kind": "regex", "pattern": r"[^\n]+", "replacement": "", "flags": "", "position": 10},
    )
    assert response.status_code == 200
    assert "more than half" in response.content.decode()
    rule.refresh_from_db()
    assert rule.pattern == r"\b(?:https?://|www\.)\S+"


def test_the_preview_shows_a_regex_error_instead_of_failing(staff_client: Client) -> None:
    response = staff_client.get(
        reverse("admin:lyrics_cleaningrule_preview_new"),
        {"kind": "regex", "pattern": "(oops", "position": 10, "sample_text": "x"},
    )
    assert response.status_code == 200
    assert "invalid regex: missing )" in response.content.decode()


def test_the_preview_tries_the_rule_on_pasted_text(staff_client: Client) -> None:
    response = staff_client.get(
        reverse("admin:lyrics_cleaningrule_preview_new"),
        {
            "kind": "regex",
            "pattern": "Sample",
            "replacement": "Example",
            "position": 999,
            "sample_text": "[Verse 1]\nSample line",
        },
    )
    assert response.context["sample"] == ("Sample line", "Example line")


def test_re_running_cleaning_from_the_admin_rebuilds_verses(staff_client: Client) -> None:
    song = SongFactory(raw_lyrics=CLUTTERED_SONG)
    url = reverse("admin:lyrics_cleaningrule_rerun")
    assert "1 song(s)" in staff_client.get(url).content.decode()
    response = staff_client.post(url, follow=True)
    assert "Cleaned 1 song(s): 1 changed" in response.content.decode()
    assert song.verses.count() == 4


def test_the_verse_page_shows_where_fresh_cleaning_differs_from_an_edit(
    staff_client: Client,
) -> None:
    song = SongFactory(raw_lyrics="[Verse 1]\nfirst line\nsecond line")
    clean_lyrics()
    verse = song.verses.get()
    services.edit_verse_text(verse=verse, text="first line\nsecond line, edited")
    response = staff_client.get(reverse("admin:lyrics_verse_change", args=[verse.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<tr class="diff-removed"><td class="diff-sign">-</td><td><code>second line' in page
    assert '<tr class="diff-added"><td class="diff-sign">+</td><td><code>second line, ed' in page
    assert "Revert to fresh cleaning" in page


def test_corpora_are_read_only_in_the_admin(staff_client: Client) -> None:
    SongFactory(raw_lyrics="[Verse]\na line to learn from")
    clean_lyrics()
    corpus = build_corpus().corpus
    assert corpus is not None
    assert staff_client.get(reverse("admin:lyrics_corpus_changelist")).status_code == 200
    page = staff_client.get(reverse("admin:lyrics_corpus_change", args=[corpus.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert staff_client.get(reverse("admin:lyrics_corpus_add")).status_code == 403


def test_a_rule_page_offers_a_preview_of_unsaved_values(staff_client: Client) -> None:
    rule = CleaningRule.objects.get(name="urls")
    page = staff_client.get(reverse("admin:lyrics_cleaningrule_change", args=[rule.pk]))
    assert page.status_code == 200
    preview_url = reverse("admin:lyrics_cleaningrule_preview", args=[rule.pk])
    assert f'formaction="{preview_url}"' in page.content.decode()
    add_page = staff_client.get(reverse("admin:lyrics_cleaningrule_add"))
    assert reverse("admin:lyrics_cleaningrule_preview_new") in add_page.content.decode()


def test_the_rule_list_flags_a_spelling_rule_that_duplicates_a_shipped_one(
    staff_client: Client,
) -> None:
    CleaningRule.objects.create(
        position=995, name="my nothing", kind="spelling", pattern="nuthin|nada", replacement="zip"
    )
    page = staff_client.get(
        reverse("admin:lyrics_cleaningrule_changelist"), {"q": "nothing"}
    ).content.decode()
    assert "&#x27;nuthin&#x27; also in &#x27;spelling: nothing&#x27;" in page
    assert "&#x27;nuthin&#x27; also in &#x27;my nothing&#x27;" in page


def test_saving_a_duplicate_spelling_rule_says_so(staff_client: Client) -> None:
    response = staff_client.post(
        reverse("admin:lyrics_cleaningrule_add"),
        {
            "position": 995,
            "name": "mine",
            "kind": "spelling",
            "pattern": "thru",
            "replacement": "thorough",
        },
        follow=True,
    )
    assert "This rule duplicates another: &#x27;thru&#x27; also in" in response.content.decode()


def test_the_rule_list_is_paginated(staff_client: Client) -> None:
    assert CleaningRule.objects.count() > 50
    page = staff_client.get(reverse("admin:lyrics_cleaningrule_changelist"))
    assert len(page.context["cl"].result_list) == 50
    assert page.context["cl"].multi_page
    assert "css/admin-lyrics.css" in page.content.decode()

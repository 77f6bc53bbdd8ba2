"""A rule preview answers fast: one cleaning per untouched song, a part first, and saving it."""

from __future__ import annotations

import dataclasses
from io import StringIO
from itertools import zip_longest

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from lyrics.cleaning.preview import preview_rule, rule_pair, spread_order
from lyrics.cleaning.preview_jobs import preview_key, stored_preview
from lyrics.cleaning.rule_types import RuleKind, RuleSpec
from lyrics.cleaning.splitter import clean_song_text
from lyrics.models import CleaningRule, Song
from tests.cleaning.lyrics_fixtures import CLUTTERED_SONG, HEADERLESS_SONG
from tests.factories import SongFactory, UserFactory

pytestmark = pytest.mark.django_db

CANDIDATES = [
    RuleSpec(name="money to cash", pattern="coffee", replacement="tea"),
    RuleSpec(name="drop every line", pattern=r"[^\n]+"),
    RuleSpec(name="nothing", pattern="zzz-not-there"),
    RuleSpec(name="spell", pattern="yeah|yea", replacement="yes", kind=RuleKind.SPELLING),
]


def two_cleanings(candidate: RuleSpec, position: int) -> tuple[int, int, int, int]:
    """What the preview did before: every song cleaned without and with the rule."""
    pair = rule_pair(candidate=candidate, position=position, rule_id=None)
    songs = verses = before_count = after_count = 0
    for raw in Song.objects.order_by("id").values_list("raw_lyrics", flat=True):
        before = [v.text for v in clean_song_text(raw, pair.without).verses]
        after = [v.text for v in clean_song_text(raw, pair.with_candidate).verses]
        before_count, after_count = before_count + len(before), after_count + len(after)
        songs += before != after
        verses += sum(old != new for old, new in zip_longest(before, after, fillvalue=""))
    return songs, verses, before_count, after_count


@pytest.mark.parametrize("candidate", CANDIDATES, ids=lambda spec: spec.name)
@pytest.mark.parametrize("position", [5, 500, 10_000])
def test_the_preview_counts_what_cleaning_twice_counts(candidate: RuleSpec, position: int) -> None:
    SongFactory(raw_lyrics=CLUTTERED_SONG)
    SongFactory(raw_lyrics=HEADERLESS_SONG)
    SongFactory(raw_lyrics="[Verse]\nyeah yea cold coffee\n\nsecond stanza, yeah")
    preview = preview_rule(candidate=candidate, position=position)
    assert (
        preview.songs_changed,
        preview.verses_changed,
        preview.verses_before,
        preview.verses_after,
    ) == two_cleanings(candidate, position)
    assert preview.songs_scanned == preview.songs_total == 3
    assert not preview.partial


def test_with_no_time_left_the_preview_says_it_looked_at_a_part() -> None:
    SongFactory.create_batch(3)
    preview = preview_rule(
        candidate=RuleSpec(name="x", pattern="city"), position=10, time_budget=0.0
    )
    assert preview.partial
    assert preview.songs_total == 3
    assert preview.songs_scanned < 3


def test_a_part_of_the_songs_spans_the_catalogue() -> None:
    order = spread_order(list(range(40)), stride=16)
    assert order[:3] == [0, 16, 32]
    assert sorted(order) == list(range(40))


def as_previewed(rule: CleaningRule) -> RuleSpec:
    """The rule as the preview form reads it (what decides its effect, no description)."""
    return dataclasses.replace(rule.spec(), description="")


def test_the_admin_fills_in_the_whole_count_from_background_work(
    staff_client: Client, settings: Settings
) -> None:
    # No time for a single song in the request: the count comes from the background work
    # (run in-process here, as the tests' Celery is eager) and is kept for the next visit.
    settings.CLEANING_PREVIEW_SECONDS = 0
    SongFactory(raw_lyrics=CLUTTERED_SONG)
    SongFactory(raw_lyrics="[Verse]\nnothing to see here")
    rule = CleaningRule.objects.get(name="urls")
    url = reverse("admin:lyrics_cleaningrule_preview", args=[rule.pk])

    response = staff_client.get(url)

    preview = response.context["preview"]
    assert (preview.songs_scanned, preview.songs_total, preview.songs_changed) == (2, 2, 1)
    assert response.context["full_pending"] is False
    key = preview_key(candidate=as_previewed(rule), position=rule.position, rule_id=rule.pk)
    assert stored_preview(key) is not None
    SongFactory(raw_lyrics="[Verse]\nnew song, new key")
    key_after_a_new_song = preview_key(
        candidate=as_previewed(rule), position=rule.position, rule_id=rule.pk
    )
    assert key_after_a_new_song != key


def test_a_partial_first_answer_says_so_and_reloads(
    staff_client: Client, settings: Settings
) -> None:
    # The background count is not there yet (as when a worker has it): the page says it looked
    # at a part and reloads itself, with the rule's values, until the count is there.
    settings.CLEANING_PREVIEW_SECONDS = 0
    SongFactory.create_batch(2)
    rule = CleaningRule.objects.get(name="urls")
    key = preview_key(candidate=as_previewed(rule), position=rule.position, rule_id=rule.pk)
    cache.set(key + ":running", True)

    page = staff_client.get(reverse("admin:lyrics_cleaningrule_preview", args=[rule.pk]))

    assert page.context["full_pending"] is True
    html = page.content.decode()
    assert "A first look at 0 of 2" in html
    assert 'http-equiv="refresh"' in html and "pattern=" in html


def test_the_preview_command_prints_the_counts() -> None:
    SongFactory(raw_lyrics=CLUTTERED_SONG)
    rule = CleaningRule.objects.get(name="urls")
    out = StringIO()
    call_command("preview_rule", "--rule-id", str(rule.pk), stdout=out)
    assert "urls: 1 of 1 songs and 1 verses changed" in out.getvalue()


def preview_values(**changes: object) -> dict[str, object]:
    values = {
        "name": "drop hey",
        "kind": "regex",
        "pattern": r"\bhey\b ?",
        "replacement": "",
        "flags": "i",
        "position": 995,
    }
    return {**values, **changes}


def test_a_previewed_rule_can_be_saved_as_a_new_rule(staff_client: Client) -> None:
    SongFactory(raw_lyrics="[Verse]\nHey now, hey")
    page = staff_client.get(reverse("admin:lyrics_cleaningrule_preview_new"), preview_values())
    assert "Save as a new rule" in page.content.decode()

    response = staff_client.post(
        reverse("admin:lyrics_cleaningrule_save_preview"), preview_values()
    )

    rule = CleaningRule.objects.get(name="drop hey")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:lyrics_cleaningrule_change", args=[rule.pk])
    assert (rule.position, rule.pattern, rule.flags, rule.enabled) == (995, r"\bhey\b ?", "i", True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "give the rule a name"),
        ({"name": "urls"}, "a rule named &#x27;urls&#x27; exists already"),
        ({"pattern": "(oops"}, "invalid regex"),
    ],
)
def test_a_preview_that_cannot_be_a_rule_is_not_saved(
    staff_client: Client, changes: dict[str, object], message: str
) -> None:
    count = CleaningRule.objects.count()
    response = staff_client.post(
        reverse("admin:lyrics_cleaningrule_save_preview"), preview_values(**changes), follow=True
    )
    assert message in response.content.decode()
    assert CleaningRule.objects.count() == count


def test_saving_a_preview_needs_the_add_permission() -> None:
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_cleaningrule"))
    client = Client()
    client.force_login(viewer)
    page = client.get(reverse("admin:lyrics_cleaningrule_preview_new"), preview_values())
    assert "Save as a new rule" not in page.content.decode()
    response = client.post(reverse("admin:lyrics_cleaningrule_save_preview"), preview_values())
    assert response.status_code == 403
    assert not CleaningRule.objects.filter(name="drop hey").exists()

"""A rule preview that answers at once: a part of the songs now, every song from background work.

The admin runs `preview_rule` with a time budget (CLEANING_PREVIEW_SECONDS, 1.5 s). When that
covers every song, that is the answer. Otherwise the whole count is worked out in the background
and kept in the cache under a key of the rule, its position and the state of the rules and songs
(so an edit anywhere makes a new key, never a stale answer); the page reloads until it is there.

The background is a Celery task with a broker; without one, a `manage.py preview_rule` process of
its own (lyrics.background), so the web request never waits for it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max

from common.broker import BrokerUnreachable, broker_reachable
from lyrics.background import registered_task, runs_in_own_process, start_manage_command
from lyrics.cleaning.preview import RulePreview, preview_rule
from lyrics.cleaning.rule_types import RuleSpec
from lyrics.models import CleaningRule, Song

logger = logging.getLogger(__name__)

# How long a whole count stays answerable, and how long one being worked out blocks a second.
RESULT_SECONDS = 3600
RUNNING_SECONDS = 600


def preview_seconds() -> float:
    return float(settings.CLEANING_PREVIEW_SECONDS)


def preview_key(*, candidate: RuleSpec, position: int, rule_id: int | None) -> str:
    """Names one preview of one state of the catalogue and the rule set."""
    rules = CleaningRule.objects.aggregate(count=Count("id"), changed=Max("updated_at"))
    songs = Song.objects.aggregate(count=Count("id"), changed=Max("updated_at"))
    identity = json.dumps(
        [asdict(candidate), position, rule_id, rules, songs], default=str, sort_keys=True
    )
    return "lyrics:rule-preview:" + hashlib.sha256(identity.encode()).hexdigest()


def stored_preview(key: str) -> RulePreview | None:
    stored = cache.get(key)
    return stored if isinstance(stored, RulePreview) else None


def is_running(key: str) -> bool:
    return bool(cache.get(key + ":running"))


def compute_and_store(
    *, candidate: RuleSpec, position: int, rule_id: int | None, key: str
) -> RulePreview:
    """The whole preview, kept under key; the door every background route calls."""
    try:
        preview = preview_rule(candidate=candidate, position=position, rule_id=rule_id)
        cache.set(key, preview, RESULT_SECONDS)
        return preview
    finally:
        cache.delete(key + ":running")


def start_full_preview(
    *, candidate: RuleSpec, position: int, rule_id: int | None, key: str
) -> None:
    """Hand the whole count to the background, once per key (a reload does not start another)."""
    if stored_preview(key) is not None or not cache.add(key + ":running", True, RUNNING_SECONDS):
        return
    if runs_in_own_process():
        arguments = ["preview_rule", "--spec-json", json.dumps(asdict(candidate))]
        arguments += ["--position", str(position), "--store-key", key, "-v", "0"]
        if rule_id is not None:
            arguments += ["--rule-id", str(rule_id)]
        try:
            start_manage_command(arguments)
        except OSError:
            logger.exception("could not start the background rule preview")
            cache.delete(key + ":running")
        return
    try:
        with broker_reachable():
            registered_task("lyrics.preview_rule").delay(
                spec=asdict(candidate), position=position, rule_id=rule_id, key=key
            )
    except BrokerUnreachable as error:  # the quick answer stands; a later look tries again
        logger.warning("the whole rule preview was not queued: %s", error)
        cache.delete(key + ":running")


def quick_preview(
    *, candidate: RuleSpec, position: int, rule_id: int | None
) -> tuple[RulePreview, bool]:
    """The best answer within the time budget, and whether the whole count is still coming.

    Raises InvalidRule when the rule does not compile.
    """
    key = preview_key(candidate=candidate, position=position, rule_id=rule_id)
    full = stored_preview(key)
    if full is not None:
        return full, False
    preview = preview_rule(
        candidate=candidate, position=position, rule_id=rule_id, time_budget=preview_seconds()
    )
    if not preview.partial or preview.truncated:
        return preview, False
    start_full_preview(candidate=candidate, position=position, rule_id=rule_id, key=key)
    # Run eagerly (tests), the background work has already stored it.
    full = stored_preview(key)
    return (full, False) if full is not None else (preview, True)

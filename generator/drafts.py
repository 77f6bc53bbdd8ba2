"""Saved co-written verses (`Draft`): save one, fetch a live one, purge the expired, star and
mark them (staff), and the human signal per model version that the evaluation shows.

A draft saved by an anonymous visitor expires `RAPLYRICS_DRAFT_EXPIRY_DAYS` after it was saved
(a signed-in person's is kept); an expired draft answers as if it did not exist (404) until
`manage.py purge_drafts` deletes it, unless staff starred it. A draft keeps its model's name, so
its link keeps working after the version is deactivated or deleted.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from generator.ml.syllables import line_syllables
from generator.models import Draft, ModelVersion
from generator.serving import PRETRAINED_NAME


class DraftError(Exception):
    """A draft cannot be saved as asked; one line saying why."""


class DraftNotFound(Exception):
    """No live draft has this key (never saved, or expired)."""


@dataclass(frozen=True)
class SavedLine:
    """One line as the writer keeps it: its text, whether a person wrote it, the takes the model
    offered (texts, best first) and which of them was picked (0: the model's own pick)."""

    text: str
    by_person: bool = False
    takes: tuple[str, ...] = ()
    picked: int | None = None


def _line_record(line: SavedLine) -> dict[str, Any]:
    return {
        "text": line.text,
        "syllables": line_syllables(line.text),
        "by_person": line.by_person,
        "picked": None if line.by_person else line.picked,
        "takes": [] if line.by_person else list(line.takes),
    }


@transaction.atomic
def save_draft(
    *,
    lines: Sequence[SavedLine],
    model_version_id: int | None,
    seed: int | None,
    shape: dict[str, Any],
    owner: AbstractBaseUser | AnonymousUser | None = None,
    now: datetime.datetime | None = None,
) -> Draft:
    """Save a verse as a draft; `model_version_id` None means the pretrained model wrote it."""
    version = None
    if model_version_id is not None:
        version = ModelVersion.objects.filter(pk=model_version_id).first()
        if version is None:
            raise DraftError(f"there is no model version {model_version_id}")
    signed_in = owner is not None and owner.is_authenticated
    moment = now or timezone.now()
    records = [_line_record(line) for line in lines]
    model_lines = [r for r in records if not r["by_person"] and r["picked"] is not None]
    return Draft.objects.create(
        model_version=version,
        model_name=version.name if version is not None else PRETRAINED_NAME,
        seed=seed,
        settings=shape,
        lines=records,
        model_line_count=len(model_lines),
        alternative_pick_count=sum(r["picked"] > 0 for r in model_lines),
        person_line_count=sum(r["by_person"] for r in records),
        owner=owner if signed_in else None,  # type: ignore[misc]
        expires_at=None
        if signed_in
        else moment + datetime.timedelta(days=int(settings.DRAFT_EXPIRY_DAYS)),
    )


def live_draft(key: str, *, now: datetime.datetime | None = None) -> Draft:
    """The draft with this key, unless it does not exist or has expired."""
    draft = Draft.objects.alive(now=now).select_related("model_version").filter(key=key).first()
    if draft is None:
        raise DraftNotFound(f"there is no draft {key!r}; it may have expired")
    return draft


def model_still_served(draft: Draft) -> bool:
    """Whether the model that wrote the draft is the one served now (the pretrained model is
    served when no version is active)."""
    if draft.model_version is not None:
        return draft.model_version.is_active
    if draft.model_name == PRETRAINED_NAME:
        return not ModelVersion.objects.filter(is_active=True).exists()
    return False  # its version was deleted


def purge_expired_drafts(*, now: datetime.datetime | None = None, dry_run: bool = False) -> int:
    """Delete the drafts past their expiry that no one starred; how many (would be) deleted."""
    expired = Draft.objects.expired(now=now)
    if dry_run:
        return expired.count()
    deleted, _ = expired.delete()
    return deleted


def star_drafts(drafts: QuerySet[Draft], *, starred: bool = True) -> int:
    """Keep drafts past their expiry (or let them expire again)."""
    return drafts.update(starred=starred)


def mark_drafts(
    drafts: QuerySet[Draft], *, verdict: str, by: AbstractBaseUser | AnonymousUser
) -> int:
    """Staff's verdict on drafts: good, bad, or "" to clear it."""
    if verdict not in Draft.Verdict.values:
        raise DraftError(f"verdict must be one of {Draft.Verdict.values}, got {verdict!r}")
    return drafts.update(
        verdict=verdict,
        marked_by=by if by.is_authenticated and verdict else None,
        marked_at=timezone.now() if verdict else None,
    )


# -- the human signal ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HumanSignal:
    """What writers kept of a model version's verses."""

    drafts: int
    model_lines: int  # lines the model wrote, in saved drafts
    alternative_picks: int  # of those, where the writer picked another take than the first
    person_lines: int
    good: int
    bad: int

    @property
    def first_take_share(self) -> float | None:
        """The share of the model's saved lines where its own pick was kept."""
        if not self.model_lines:
            return None
        return 1 - self.alternative_picks / self.model_lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "drafts": self.drafts,
            "model_lines": self.model_lines,
            "alternative_picks": self.alternative_picks,
            "first_take_share": self.first_take_share,
            "person_lines": self.person_lines,
            "good": self.good,
            "bad": self.bad,
        }


def human_signals(version_ids: Sequence[int]) -> dict[int, HumanSignal]:
    """The human signal of each version (one query for all of them)."""
    rows = (
        Draft.objects.filter(model_version_id__in=version_ids)
        .values("model_version_id")
        .annotate(
            drafts=Count("id"),
            model_lines=Sum("model_line_count"),
            alternative_picks=Sum("alternative_pick_count"),
            person_lines=Sum("person_line_count"),
            good=Count("id", filter=Q(verdict=Draft.Verdict.GOOD)),
            bad=Count("id", filter=Q(verdict=Draft.Verdict.BAD)),
        )
    )
    found = {
        row["model_version_id"]: HumanSignal(
            drafts=row["drafts"],
            model_lines=row["model_lines"] or 0,
            alternative_picks=row["alternative_picks"] or 0,
            person_lines=row["person_lines"] or 0,
            good=row["good"],
            bad=row["bad"],
        )
        for row in rows
    }
    empty = HumanSignal(0, 0, 0, 0, 0, 0)
    return {version_id: found.get(version_id, empty) for version_id in version_ids}


def human_signal(version: ModelVersion) -> HumanSignal:
    """What writers kept of this version's verses: the selector the version page calls."""
    return human_signals([version.pk])[version.pk]

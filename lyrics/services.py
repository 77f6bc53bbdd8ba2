"""Writes to the lyrics catalogue."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from lyrics.models import Verse


@transaction.atomic
def set_verses_included(*, verse_ids: Iterable[int], included: bool) -> int:
    """Include or exclude verses from the training corpus; returns how many changed."""
    return (
        Verse.objects.filter(pk__in=list(verse_ids))
        .exclude(included=included)
        .update(included=included)
    )


@transaction.atomic
def edit_verse_text(*, verse: Verse, text: str) -> Verse:
    """A staff edit: the new text is what training sees, and re-cleaning will keep it."""
    verse.text = text
    verse.is_edited = text != verse.cleaned_text
    verse.save()
    return verse

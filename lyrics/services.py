"""Writes to the lyrics catalogue."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from lyrics.cleaning.errors import CleaningError, InvalidRule
from lyrics.cleaning.rule_types import RuleSpec
from lyrics.models import CleaningRule, Verse
from lyrics.models.catalog import normalise_line_endings


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
    verse.text = normalise_line_endings(text)
    verse.is_edited = verse.text != verse.cleaned_text
    verse.save()
    return verse


@transaction.atomic
def revert_verse_to_fresh_cleaning(*, verse: Verse) -> Verse:
    """Drop a staff edit: the verse takes what fresh cleaning with today's rules gives.

    Raises CleaningError when fresh cleaning gives no such verse (nothing to revert to).
    """
    # Imported here: the cleaning service imports this module's models, not the reverse.
    from lyrics.cleaning.verses import fresh_cleaning_for_verse

    fresh = fresh_cleaning_for_verse(verse)
    if fresh is None:
        raise CleaningError(
            f"fresh cleaning no longer gives verse {verse.pk}; edit or exclude it instead"
        )
    verse.text = fresh
    verse.cleaned_text = fresh
    verse.is_edited = False
    verse.save()
    return verse


@transaction.atomic
def add_cleaning_rule(*, spec: RuleSpec, position: int) -> CleaningRule:
    """A new enabled rule from previewed values; InvalidRule (one line) when it cannot be one."""
    name = spec.name.strip()
    if not name:
        raise InvalidRule("give the rule a name before saving it", field="name")
    if CleaningRule.objects.filter(name=name).exists():
        raise InvalidRule(
            f"a rule named {name!r} exists already; choose another name", field="name"
        )
    rule = CleaningRule(
        name=name,
        position=position,
        kind=str(spec.kind),
        pattern=spec.pattern,
        replacement=spec.replacement,
        flags=spec.flags,
        description=spec.description,
        enabled=True,
    )
    try:
        rule.save()
    except ValidationError as error:
        raise InvalidRule("; ".join(error.messages)) from None
    return rule

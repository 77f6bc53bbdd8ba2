"""Where an edited verse and what fresh cleaning would now give differ, said for the admin."""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

from lyrics.cleaning.errors import CleaningError
from lyrics.cleaning.verses import fresh_cleaning_for_verse
from lyrics.models import Verse

LineKind = Literal["same", "removed", "added"]


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind  # removed: only in fresh cleaning; added: only in this verse's text
    text: str

    @property
    def sign(self) -> str:
        return {"same": " ", "removed": "-", "added": "+"}[self.kind]


@dataclass(frozen=True)
class FreshDifference:
    """A one-line verdict, the fresh cleaning when there is one, and the line diff."""

    message: str
    fresh: str | None = None
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def can_revert(self) -> bool:
        return self.fresh is not None and bool(self.lines)


def line_diff(fresh: str, text: str) -> list[DiffLine]:
    """Every line of both, in order: - only in fresh cleaning, + only in the verse's text."""
    old, new = fresh.splitlines(), text.splitlines()
    lines: list[DiffLine] = []
    for tag, old_start, old_end, new_start, new_end in SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            lines += [DiffLine("same", line) for line in old[old_start:old_end]]
            continue
        lines += [DiffLine("removed", line) for line in old[old_start:old_end]]
        lines += [DiffLine("added", line) for line in new[new_start:new_end]]
    return lines


def fresh_cleaning_difference(verse: Verse) -> FreshDifference:
    if not verse.is_edited:
        return FreshDifference("Not edited: re-cleaning replaces this text with its output.")
    try:
        fresh = fresh_cleaning_for_verse(verse)
    except CleaningError as error:
        return FreshDifference(f"Cannot clean now: {error}")
    if fresh is None:
        return FreshDifference(
            "Fresh cleaning no longer produces this verse; the edit is kept as it is."
        )
    if fresh == verse.text:
        return FreshDifference("The edit matches what fresh cleaning gives.", fresh=fresh)
    return FreshDifference(
        "Edited: lines marked - are fresh cleaning's, lines marked + this verse's.",
        fresh=fresh,
        lines=line_diff(fresh, verse.text),
    )

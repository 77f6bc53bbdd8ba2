"""Where an edited verse and what fresh cleaning would now give differ, said for the admin."""

from __future__ import annotations

from difflib import unified_diff

from lyrics.cleaning.errors import CleaningError
from lyrics.cleaning.verses import fresh_cleaning_for_verse
from lyrics.models import Verse


def fresh_cleaning_difference(verse: Verse) -> str:
    """One line when they agree, else a line diff (- fresh cleaning, + this verse's text)."""
    if not verse.is_edited:
        return "Not edited: re-cleaning replaces this text with its output."
    try:
        fresh = fresh_cleaning_for_verse(verse)
    except CleaningError as error:
        return f"Cannot clean now: {error}"
    if fresh is None:
        return "Fresh cleaning no longer produces this verse; the edit is kept as it is."
    if fresh == verse.text:
        return "The edit matches what fresh cleaning gives."
    diff = unified_diff(
        fresh.splitlines(),
        verse.text.splitlines(),
        fromfile="fresh cleaning",
        tofile="this verse",
        lineterm="",
    )
    return "\n".join(diff)

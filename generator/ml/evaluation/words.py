"""How every measure reads a verse: its non-empty lines, and each line's lowercase words.

A word is a run of letters with apostrophes inside or at the end ("don't", "nothin'"), curly
apostrophes made straight; digits and punctuation are not words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)*'?")
_STRAIGHTEN = str.maketrans({"’": "'", "‘": "'", "`": "'"})

Verse = Sequence[str]  # a verse as its lines


def verse_lines(verse_text: str) -> list[str]:
    """The non-empty lines of a verse's text, stripped."""
    return [line.strip() for line in verse_text.splitlines() if line.strip()]


def line_words(line: str) -> list[str]:
    """The line's words, lowercase."""
    return _WORD_RE.findall(line.lower().translate(_STRAIGHTEN))


def verse_words(verse: Verse) -> list[str]:
    """Every word of a verse, line after line."""
    return [word for line in verse for word in line_words(line)]


def all_lines(verses: Iterable[Verse]) -> list[str]:
    return [line for verse in verses for line in verse]

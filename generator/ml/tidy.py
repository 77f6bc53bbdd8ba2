"""Tidy generated lyric lines: spacing around punctuation, apostrophes, capitalised line starts.

The rules, applied in this order to each line:
1. curly quotes and apostrophes become straight ones; runs of whitespace become one space; the
   line is stripped;
2. no space before `, . ! ? ; : )` and none after `(`; one space after `, ; : ! ?` when a word
   follows (so "wait,what" -> "wait, what", but "3:30" and "..." are left alone);
3. contractions are joined: "don ' t" / "don 't" / "don' t" -> "don't", "I 'm" -> "I'm"
   (only before the endings s, t, m, d, re, ve, ll, so "get 'em" keeps its space);
4. the pronoun "i" (alone or in i'm, i'll, ...) is capitalised;
5. the first letter of the line is capitalised.
`tidy_lines` drops lines left empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_STRAIGHTEN = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
_SPACES_RE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,.!?;:)])")
_SPACE_AFTER_OPEN_RE = re.compile(r"\(\s+")
_MISSING_SPACE_RE = re.compile(r"([,;!?]|(?<!\d):)(?=[A-Za-z])")
_CONTRACTION_RE = re.compile(r"(?<=[A-Za-z])\s*'\s*(s|t|m|d|re|ve|ll)\b", re.IGNORECASE)
_PRONOUN_I_RE = re.compile(r"\bi\b(?=$|[\s,.!?;:']|'(?:m|ll|d|ve)\b)")
_FIRST_LETTER_RE = re.compile(r"[A-Za-z]")


def tidy_line(line: str) -> str:
    """One line tidied by the rules in the module docstring."""
    text = _SPACES_RE.sub(" ", line.translate(_STRAIGHTEN)).strip()
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN_RE.sub("(", text)
    text = _MISSING_SPACE_RE.sub(r"\1 ", text)
    text = _CONTRACTION_RE.sub(lambda match: "'" + match.group(1), text)
    text = _PRONOUN_I_RE.sub("I", text)
    first = _FIRST_LETTER_RE.search(text)
    if first is not None:
        text = text[: first.start()] + text[first.start()].upper() + text[first.start() + 1 :]
    return text


def tidy_lines(lines: Iterable[str]) -> list[str]:
    """Each line tidied; lines left empty are dropped."""
    return [tidied for tidied in (tidy_line(line) for line in lines) if tidied]

"""From a song's raw lyrics to verses: split by section headers, clean each section, split by blank
lines, optionally drop repeated choruses. Plain Python (no Django)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from lyrics.cleaning.engine import CleaningOutcome, apply_rules
from lyrics.cleaning.rule_types import CompiledRule

SECTION_WORDS = (
    r"verse|chorus|pre-?chorus|post-?chorus|hook|pre-?hook|post-?hook|bridge|intro|outro"
    r"|refrain|interlude|break(?:down)?|skit|part|instrumental|drop|segue|spoken"
)
# "[Verse 1: Some Artist & Another]", "[Chorus]", "[Hook x2]" anywhere (Genius glues them to the
# previous line), or a line of its own like "Chorus:" / "(Hook)" in hand-typed lyrics.
_BRACKET_HEADER = rf"\[[ \t]*(?P<bracket>(?:{SECTION_WORDS})\b[^\[\]\n]{{0,100}})\]"
_LINE_HEADER = (
    rf"^[ \t]*(?:\((?P<paren>(?:{SECTION_WORDS})(?:[ \t]+\d+)?)\)"
    rf"|(?P<colon>(?:{SECTION_WORDS})(?:[ \t]+\d+)?)[ \t]*:)[ \t]*$"
)
HEADER_RE = re.compile(f"{_BRACKET_HEADER}|{_LINE_HEADER}", re.IGNORECASE | re.MULTILINE)
LABEL_MAX_CHARS = 100

# Sections that songs repeat word for word; an unlabelled stanza may be a repeated chorus too.
_REPEATABLE_RE = re.compile(r"^(?:pre-?|post-?)?(?:chorus|hook|refrain)\b|^$", re.IGNORECASE)
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Section:
    label: str
    body: str


@dataclass(frozen=True)
class CleanVerse:
    section_label: str
    text: str


@dataclass
class SongCleaning:
    verses: list[CleanVerse] = field(default_factory=list)
    match_counts: Counter[str] = field(default_factory=Counter)
    dropped_repeats: int = 0
    unsettled_sections: int = 0


def section_label(header: str) -> str:
    """ "Verse 1: Some Artist & Another" → "Verse 1"; "Chorus (x2)" → "Chorus"."""
    label = header.split(":", 1)[0]
    label = re.sub(r"\([^)]*\)|\bx\d+\b", "", label, flags=re.IGNORECASE)
    return " ".join(label.split())[:LABEL_MAX_CHARS]


def split_sections(raw_lyrics: str) -> list[Section]:
    """Sections in order; text before the first header is a section with an empty label."""
    sections: list[Section] = []
    label, start = "", 0
    for match in HEADER_RE.finditer(raw_lyrics):
        sections.append(Section(label=label, body=raw_lyrics[start : match.start()]))
        header = match.group("bracket") or match.group("paren") or match.group("colon") or ""
        label, start = section_label(header), match.end()
    sections.append(Section(label=label, body=raw_lyrics[start:]))
    return [section for section in sections if section.body.strip() or section.label]


def split_stanzas(text: str) -> list[str]:
    return [stanza.strip() for stanza in _BLANK_LINE_RE.split(text) if stanza.strip()]


def is_repeatable(label: str) -> bool:
    return _REPEATABLE_RE.match(label) is not None


def _repeat_key(text: str) -> str:
    return " ".join(text.casefold().split())


def clean_song_text(
    raw_lyrics: str, rules: Sequence[CompiledRule], *, dedupe_repeats: bool = True
) -> SongCleaning:
    """The verses fresh cleaning makes of a song, with how often each rule matched."""
    result = SongCleaning()
    seen_repeatable: set[str] = set()
    # A chorus sung three times has three identical bodies: clean each distinct body once.
    outcomes: dict[str, CleaningOutcome] = {}
    for section in split_sections(raw_lyrics):
        outcome = outcomes.get(section.body)
        if outcome is None:
            outcome = outcomes[section.body] = apply_rules(section.body, rules)
        result.match_counts.update(outcome.match_counts)
        if not outcome.settled:
            result.unsettled_sections += 1
        for stanza in split_stanzas(outcome.text):
            if dedupe_repeats and is_repeatable(section.label):
                key = _repeat_key(stanza)
                if key in seen_repeatable:
                    result.dropped_repeats += 1
                    continue
                seen_repeatable.add(key)
            result.verses.append(CleanVerse(section_label=section.label, text=stanza))
    return result

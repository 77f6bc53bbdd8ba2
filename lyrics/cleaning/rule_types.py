"""A cleaning rule's two forms: as staff write it (`RuleSpec`, plain strings as stored) and
compiled (`CompiledRule`, a regex and its replacement), and a step of a cleaning pass.

The engine (engine.py) and spelling rules (spelling.py) both build on these; neither imports
the other's types from the other, so the two modules form no cycle.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class RuleKind(StrEnum):
    REGEX = "regex"
    SPELLING = "spelling"


@dataclass(frozen=True)
class RuleSpec:
    """A rule as staff write it: plain strings, as stored in the database."""

    name: str
    pattern: str
    replacement: str = ""
    flags: str = ""
    kind: RuleKind = RuleKind.REGEX
    description: str = ""


@dataclass(frozen=True)
class SpellingWords:
    """What a spelling rule replaces (whole words, any case) and the one spelling it keeps."""

    variants: tuple[str, ...]
    canonical: str


@dataclass(frozen=True)
class CompiledRule:
    name: str
    regex: re.Pattern[str]
    replace: str | Callable[[re.Match[str]], str]
    spelling: SpellingWords | None = None
    # Text every match contains ("Embed" for r"\d*\s*Embed\s*\Z"): where it is absent, the rule
    # cannot match, and a substring test is much cheaper than the regex's search.
    required_text: str = ""

    def apply(self, text: str) -> tuple[str, int]:
        """The text with every match replaced, and how many matches there were."""
        if self.required_text and self.required_text not in text:
            return text, 0
        return self.regex.subn(self.replace, text)

    def run(self, text: str, match_counts: Counter[str]) -> str:
        if self.required_text and self.required_text not in text:
            return text
        cleaned, count = self.regex.subn(self.replace, text)
        # A match replaced by itself is not a change worth counting.
        if count and cleaned != text:
            match_counts[self.name] += count
        return cleaned


class RuleStep(Protocol):
    """One step of a pass: a rule, or several spelling rules run as one."""

    def run(self, text: str, match_counts: Counter[str]) -> str: ...

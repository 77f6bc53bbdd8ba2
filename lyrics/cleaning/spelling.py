"""Spelling normalisation: different spellings of one word become one spelling.

A spelling rule's pattern lists the variants separated by `|` (taken literally, not as regex) and
its replacement is the canonical spelling. Variants match as whole words, in any case, and the
replacement keeps the case of what it replaces ("Gettin'" → "Getting", "GETTIN'" → "GETTING").
Fewer spellings of one word means a smaller, denser vocabulary for the network to learn.
"""

from __future__ import annotations

import re

from lyrics.cleaning.engine import CompiledRule, RuleKind, RuleSpec
from lyrics.cleaning.errors import InvalidRule

# A word character or an apostrophe continues a word: "gettin'" must not match inside "gettin'em".
_WORD_EDGE = r"\w'"


def spelling_variants(pattern: str) -> list[str]:
    return [variant.strip() for variant in pattern.split("|") if variant.strip()]


def compile_spelling_rule(spec: RuleSpec) -> CompiledRule:
    variants = spelling_variants(spec.pattern)
    canonical = spec.replacement.strip()
    if not variants:
        raise InvalidRule("list the spellings to replace, separated by |")
    if not canonical:
        raise InvalidRule(
            "the replacement (the one spelling to keep) is empty", field="replacement"
        )
    if canonical.casefold() in {variant.casefold() for variant in variants}:
        raise InvalidRule(f"{canonical!r} is both a variant and the spelling to keep")
    # Longest first, so "nothin'" wins over "nothin" at the same place.
    alternatives = "|".join(
        re.escape(variant) for variant in sorted(variants, key=len, reverse=True)
    )
    regex = re.compile(rf"(?<![{_WORD_EDGE}])(?:{alternatives})(?![{_WORD_EDGE}])", re.IGNORECASE)

    def replace(match: re.Match[str]) -> str:
        return match_case(match.group(0), canonical)

    return CompiledRule(name=spec.name, regex=regex, replace=replace)


def match_case(original: str, canonical: str) -> str:
    letters = [char for char in original if char.isalpha()]
    if len(letters) > 1 and all(char.isupper() for char in letters):
        return canonical.upper()
    if letters and letters[0].isupper():
        first = next(index for index, char in enumerate(canonical) if char.isalpha())
        return canonical[:first] + canonical[first].upper() + canonical[first + 1 :]
    return canonical


# Words whose g-dropped spelling ("gettin'", "gettin") is not itself another English word.
G_DROPPED_WORDS: tuple[str, ...] = (
    "balling",
    "being",
    "blowing",
    "bringing",
    "calling",
    "chasing",
    "coming",
    "counting",
    "cruising",
    "doing",
    "dreaming",
    "dripping",
    "driving",
    "feeling",
    "flexing",
    "flowing",
    "getting",
    "giving",
    "going",
    "grinding",
    "holding",
    "hustling",
    "jumping",
    "killing",
    "laughing",
    "living",
    "looking",
    "losing",
    "loving",
    "making",
    "missing",
    "moving",
    "nothing",
    "playing",
    "popping",
    "pulling",
    "pushing",
    "riding",
    "rocking",
    "rolling",
    "running",
    "saying",
    "shining",
    "shooting",
    "sitting",
    "something",
    "spending",
    "spitting",
    "standing",
    "stunting",
    "switching",
    "taking",
    "talking",
    "thinking",
    "trying",
    "walking",
    "watching",
    "working",
    "everything",
    "anything",
)

# Other spellings of one word: canonical spelling → variants.
OTHER_VARIANTS: dict[str, tuple[str, ...]] = {
    "'cause": ("cuz", "coz", "'cuz", "'coz"),
    "y'all": ("yall", "ya'll"),
    "ain't": ("aint",),
    "through": ("thru",),
    "nothing": ("nuthin'", "nuthin", "nothin'", "nothin"),
    "though": ("tho",),
    "because": ("becuz", "bcuz"),
    "with": ("wit'",),
    "about": ("'bout",),
}


def default_spelling_map() -> dict[str, tuple[str, ...]]:
    """canonical → variants, the map shipped as spelling rules (staff add their own in admin)."""
    spelling: dict[str, tuple[str, ...]] = {}
    for word in G_DROPPED_WORDS:
        stem = word[: -len("g")]
        spelling[word] = (f"{stem}'", stem)
    for canonical, variants in OTHER_VARIANTS.items():
        spelling[canonical] = tuple(dict.fromkeys((*spelling.get(canonical, ()), *variants)))
    return spelling


def spelling_rule_specs() -> list[RuleSpec]:
    return [
        RuleSpec(
            name=f"spelling: {canonical}",
            pattern="|".join(variants),
            replacement=canonical,
            kind=RuleKind.SPELLING,
            description=f"Spell {canonical!r} one way.",
        )
        for canonical, variants in default_spelling_map().items()
    ]

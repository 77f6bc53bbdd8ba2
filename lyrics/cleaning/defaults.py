"""The default cleaning rules, as data. The data migration installs them; staff edit them in admin.

Each entry runs in this order (positions 10, 20, 30… leave room to insert rules between). Section
headers ("[Verse 1: …]") are not here: the verse splitter reads them before any rule runs, so the
rules see one section's text at a time. Anchors like `\\A` and `\\Z` therefore mean the start and
end of a section.

DEFAULT_RULES is frozen once a migration has installed it: to change the shipped defaults, add a
new list and a new data migration, so that old migrations keep doing what they did.
"""

from __future__ import annotations

from lyrics.cleaning.rule_types import RuleKind, RuleSpec
from lyrics.cleaning.spelling import spelling_rule_specs

_REGEX_RULES_BEFORE_SPELLING: list[RuleSpec] = [
    RuleSpec(
        name="invisible characters",
        pattern="[\u200b\u200c\u200d\u2060\ufeff\u00ad]",
        description="Zero-width spaces, joiners, byte-order marks and soft hyphens.",
    ),
    RuleSpec(
        name="unusual spaces",
        pattern="[\u00a0\u2000-\u200a\u202f\u205f\u3000]",
        replacement=" ",
        description="Non-breaking and typographic spaces become plain spaces.",
    ),
    RuleSpec(
        name="line endings",
        pattern=r"\r\n?",
        replacement="\n",
        description="Windows and old Mac line endings become \\n.",
    ),
    RuleSpec(
        name="contributors header",
        pattern=r"\A[^\n]*?\d+\s*Contributors?[^\n]*?Lyrics",
        description='Genius\'s page header: "12 ContributorsTranslations…Song Title Lyrics".',
    ),
    RuleSpec(
        name="embed trailer",
        pattern=r"(?:\d*\s*Embed\s*)+\Z",
        description='The "Embed" / "123Embed" at the end of a scraped page.',
    ),
    RuleSpec(
        name="ticket advert",
        pattern=r"See [^\n]*? Live\s*Get tickets as low as \$\d+",
        description="Concert adverts Genius mixes into the lyrics.",
    ),
    RuleSpec(
        name="you might also like",
        pattern=r"\n?You might also like\n?",
        replacement="\n",
        description="Genius's recommendation block, often glued to a lyric line.",
    ),
    RuleSpec(
        name="credits lines",
        pattern=(
            r"^[ \t]*(?:Produced|Co-produced|Written|Mixed|Mastered|Recorded|Engineered|Arranged"
            r"|Composed)(?:[ \t]+(?:and|&)[ \t]+\w+)?[ \t]+by\b[^\n]*(?:\n|\Z)"
        ),
        flags="im",
        description='Whole lines like "Produced by …" or "Written and arranged by …".',
    ),
    RuleSpec(
        name="urls",
        pattern=r"\b(?:https?://|www\.)\S+",
        flags="i",
        description="Links.",
    ),
    RuleSpec(
        name="copyright lines",
        pattern=r"^[ \t]*[©℗][^\n]*(?:\n|\Z)",
        flags="m",
        description='Whole lines like "© 2021 Some Records".',
    ),
    RuleSpec(
        name="trademark symbols",
        pattern="[©®℗™]",
        description="Stray ©, ®, ℗ and ™.",
    ),
    RuleSpec(
        name="bracketed annotations",
        pattern=r"\[[^\[\]\n]*\]",
        description="[?], [Produced by …], [Spoken] and other square-bracket notes.",
    ),
    RuleSpec(
        name="starred stage directions",
        pattern=r"\*[^*\n]+\*",
        description="*laughs*, *phone rings*.",
    ),
    RuleSpec(
        name="repeat markers",
        pattern=r"[ \t]*[(\[](?:x[ \t]*\d+|\d+[ \t]*x)[)\]]",
        flags="i",
        description='"(x2)", "(2x)": the repeat is not lyrics.',
    ),
    RuleSpec(
        name="curly apostrophes",
        pattern="[‘’‚‛′`´]",
        replacement="'",
        description="One apostrophe character, so the network learns one.",
    ),
    RuleSpec(
        name="curly double quotes",
        pattern="[“”„‟″«»]",
        replacement='"',
        description="One double-quote character.",
    ),
    RuleSpec(
        name="dashes",
        pattern="[‐‑‒–—―]",
        replacement="-",
        description="Hyphens, en and em dashes become -.",
    ),
    RuleSpec(
        name="ellipsis",
        pattern="…",
        replacement="...",
        description="The ellipsis character becomes three dots.",
    ),
]

_REGEX_RULES_AFTER_SPELLING: list[RuleSpec] = [
    RuleSpec(
        name="runs of spaces",
        pattern=r"[ \t]{2,}|\t",
        replacement=" ",
        description="Tabs and runs of spaces become one space.",
    ),
    RuleSpec(
        name="spaces at line ends",
        pattern=r"^[ \t]+|[ \t]+$",
        flags="m",
        description="Spaces at the start or end of a line.",
    ),
    RuleSpec(
        name="repeated blank lines",
        pattern=r"\n{3,}",
        replacement="\n\n",
        description="At most one blank line in a row (a blank line separates verses).",
    ),
    RuleSpec(
        name="trim",
        pattern=r"\A\s+|\s+\Z",
        description="Blank space before and after the text.",
    ),
]

DEFAULT_RULES: list[RuleSpec] = [
    *_REGEX_RULES_BEFORE_SPELLING,
    *spelling_rule_specs(),
    *_REGEX_RULES_AFTER_SPELLING,
]

POSITION_STEP = 10


def default_rule_rows() -> list[dict[str, object]]:
    """DEFAULT_RULES as CleaningRule field values, positions 10, 20, 30…"""
    return [
        {
            "position": (index + 1) * POSITION_STEP,
            "name": spec.name,
            "kind": str(spec.kind),
            "pattern": spec.pattern,
            "replacement": spec.replacement,
            "flags": spec.flags,
            "description": spec.description,
            "enabled": True,
        }
        for index, spec in enumerate(DEFAULT_RULES)
    ]


__all__ = ["DEFAULT_RULES", "POSITION_STEP", "RuleKind", "default_rule_rows"]

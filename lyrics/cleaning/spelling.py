"""Spelling normalisation: different spellings of one word become one spelling.

A spelling rule's pattern lists the variants separated by `|` (taken literally, not as regex) and
its replacement is the canonical spelling. Variants match as whole words, in any case, and the
replacement keeps the case of what it replaces ("Gettin'" → "Getting", "GETTIN'" → "GETTING").
Fewer spellings of one word means a smaller, denser vocabulary for the network to learn.

Consecutive spelling rules run as one pass (`fuse_spelling_rules`): one regex of all their
variants finds the words, a table says which rule each belongs to. That gives exactly what running
them one by one gives when every variant and kept spelling is a plain ASCII word (letters, digits,
_ and ') — then a match is always a whole word, so the rules cannot overlap — and no rule's kept
spelling is a variant of a later rule (which, one by one, would rewrite it again in the same pass).
A rule that breaks either condition starts a new pass; a non-ASCII one runs on its own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from lyrics.cleaning.errors import InvalidRule
from lyrics.cleaning.rule_types import CompiledRule, RuleKind, RuleSpec, RuleStep, SpellingWords

# A word character or an apostrophe continues a word: "gettin'" must not match inside "gettin'em".
_WORD_EDGE = r"\w'"
_PLAIN_WORD_RE = re.compile(r"[A-Za-z0-9_']+")
# Case forms of the variants a fused pass remembers the replacement of (a bound on memory only).
_MAX_REMEMBERED = 10_000


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
    regex = _whole_words_regex(variants)

    def replace(match: re.Match[str]) -> str:
        return match_case(match.group(0), canonical)

    return CompiledRule(
        name=spec.name,
        regex=regex,
        replace=replace,
        spelling=SpellingWords(variants=tuple(variants), canonical=canonical),
    )


def _whole_words_regex(variants: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so "nothin'" wins over "nothin" at the same place.
    alternatives = "|".join(
        re.escape(variant) for variant in sorted(set(variants), key=len, reverse=True)
    )
    return re.compile(rf"(?<![{_WORD_EDGE}])(?:{alternatives})(?![{_WORD_EDGE}])", re.IGNORECASE)


class SpellingPass:
    """Several spelling rules applied in one pass, with the text and counts of running them in
    order (see the module docstring for when that holds; `fuse_spelling_rules` checks it)."""

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.rules = tuple(rules)
        self._replacements: dict[str, tuple[str, str]] = {}
        # variant (lower case) → the first rule listing it: run in order, that rule takes it.
        self._owner: dict[str, CompiledRule] = {}
        for rule in self.rules:
            assert rule.spelling is not None
            for variant in rule.spelling.variants:
                self._owner.setdefault(variant.lower(), rule)
        self.regex = re.compile(
            rf"(?<![{_WORD_EDGE}])(?:{_trie_pattern(self._owner)})(?![{_WORD_EDGE}])",
            re.IGNORECASE,
        )

    def _rule_for(self, word: str) -> CompiledRule:
        owner = self._owner.get(word.lower())
        if owner is not None:
            return owner
        # Case-insensitive matching knows pairs lower() does not (the Kelvin sign and k).
        return next(rule for rule in self.rules if rule.regex.fullmatch(word))

    def _replacement(self, word: str) -> tuple[str, str]:
        """(the rule's name, what the word becomes), remembered: lyrics repeat their words."""
        known = self._replacements.get(word)
        if known is None:
            rule = self._rule_for(word)
            assert rule.spelling is not None
            known = (rule.name, match_case(word, rule.spelling.canonical))
            if len(self._replacements) < _MAX_REMEMBERED:
                self._replacements[word] = known
        return known

    def run(self, text: str, match_counts: Counter[str]) -> str:
        def replace(match: re.Match[str]) -> str:
            name, replacement = self._replacement(match.group(0))
            match_counts[name] += 1
            return replacement

        return self.regex.sub(replace, text)


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex for many words, shared prefixes written once ("gettin'?|going" →
    "g(?:ettin'?|oing)"): the regex engine tries a few letters per place instead of every
    word, which is what makes one pass over 150 variants fast. Any order of the branches finds
    the same words here, as a match must end at the end of a word."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        branches = [re.escape(char) + pattern(child) for char, child in node.items() if char]
        if not branches:
            return ""
        ends_here = "" in node
        if len(branches) == 1 and not ends_here:
            return branches[0]
        group = "(?:" + "|".join(branches) + ")"
        return group + "?" if ends_here else group

    return pattern(trie)


def _fusable(rule: CompiledRule) -> bool:
    words = rule.spelling
    return words is not None and all(
        _PLAIN_WORD_RE.fullmatch(word) for word in (*words.variants, words.canonical)
    )


def fuse_spelling_rules(rules: Sequence[CompiledRule]) -> list[RuleStep]:
    """The rules as steps: each stretch of consecutive fusable spelling rules becomes one
    SpellingPass, unless a kept spelling is a later rule's variant, which starts a new stretch."""
    steps: list[RuleStep] = []
    stretch: list[CompiledRule] = []
    kept: set[str] = set()

    def close_stretch() -> None:
        if len(stretch) == 1:
            steps.append(stretch[0])
        elif stretch:
            steps.append(SpellingPass(stretch))
        stretch.clear()
        kept.clear()

    for rule in rules:
        if not _fusable(rule):
            close_stretch()
            steps.append(rule)
            continue
        assert rule.spelling is not None
        if kept & {variant.lower() for variant in rule.spelling.variants}:
            close_stretch()
        stretch.append(rule)
        kept.add(rule.spelling.canonical.lower())
    close_stretch()
    return steps


def match_case(original: str, canonical: str) -> str:
    letters = [char for char in original if char.isalpha()]
    if len(letters) > 1 and all(char.isupper() for char in letters):
        return canonical.upper()
    if letters and letters[0].isupper():
        first = next(index for index, char in enumerate(canonical) if char.isalpha())
        return canonical[:first] + canonical[first].upper() + canonical[first + 1 :]
    return canonical


def spelling_overlaps(rules: Sequence[tuple[str, str, str]]) -> dict[str, list[str]]:
    """For spelling rules given as (name, pattern, replacement): per rule name, one line for each
    variant another rule also lists and for a kept spelling another rule also keeps. Such a rule
    duplicates (part of) another: only the first in the order ever matches those words."""
    owners: dict[str, list[str]] = {}
    keepers: dict[str, list[str]] = {}
    for name, pattern, replacement in rules:
        for variant in {variant.lower() for variant in spelling_variants(pattern)}:
            owners.setdefault(variant, []).append(name)
        keepers.setdefault(replacement.strip().lower(), []).append(name)
    overlaps: dict[str, list[str]] = {}
    for variant, names in sorted(owners.items()):
        for name in names:
            others = ", ".join(repr(other) for other in names if other != name)
            if others:
                overlaps.setdefault(name, []).append(f"{variant!r} also in {others}")
    for kept, names in sorted(keepers.items()):
        for name in names:
            others = ", ".join(repr(other) for other in names if other != name)
            if others:
                overlaps.setdefault(name, []).append(f"keeps {kept!r} like {others}")
    return overlaps


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

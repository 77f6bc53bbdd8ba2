"""The rules engine: compile cleaning rules and apply them, in order, to a piece of text.

Plain Python (no Django), so it can be tested and reused without a database. Rules run in their
order because the order matters (removing bracketed annotations before or after turning brackets
into parentheses gives different text). The whole ordered sequence is repeated until the text stops
changing, so the output of `apply_rules` is a fixed point: cleaning clean text changes nothing,
even when one rule's output gives another rule something new to match.

`compile_rules` returns a RuleSet, which runs each stretch of consecutive spelling rules as one
pass over the text (one regex of all their variants and a table lookup) instead of one regex per
rule: the same text and the same per-rule counts, several times faster (spelling rules are most
of the shipped set). Any other sequence of compiled rules runs rule by rule.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import overload

from lyrics.cleaning.errors import InvalidRule
from lyrics.cleaning.rule_types import CompiledRule, RuleKind, RuleSpec, RuleStep
from lyrics.cleaning.spelling import compile_spelling_rule, fuse_spelling_rules

# Enough for any sane rule set to settle; a set that still changes text after this many passes
# has two rules undoing each other, and the outcome says so instead of looping forever.
MAX_PASSES = 6

FLAG_LETTERS: dict[str, re.RegexFlag] = {
    "i": re.IGNORECASE,
    "m": re.MULTILINE,
    "s": re.DOTALL,
    "x": re.VERBOSE,
}


class RuleSet(Sequence[CompiledRule]):
    """Compiled rules in order, with the steps that apply them (spelling stretches fused)."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self._rules = tuple(rules)
        self.steps: tuple[RuleStep, ...] = tuple(fuse_spelling_rules(self._rules))

    @overload
    def __getitem__(self, index: int) -> CompiledRule: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CompiledRule]: ...
    def __getitem__(self, index: int | slice) -> CompiledRule | Sequence[CompiledRule]:
        return self._rules[index]

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"RuleSet({len(self._rules)} rules in {len(self.steps)} steps)"


@dataclass
class CleaningOutcome:
    text: str
    match_counts: Counter[str] = field(default_factory=Counter)
    settled: bool = True


def parse_flags(flags: str) -> re.RegexFlag:
    value = re.RegexFlag(0)
    for letter in flags.replace(" ", "").lower():
        if letter not in FLAG_LETTERS:
            allowed = ", ".join(FLAG_LETTERS)
            raise InvalidRule(f"unknown regex flag {letter!r}; use any of {allowed}", field="flags")
        value |= FLAG_LETTERS[letter]
    return value


def compile_rule(spec: RuleSpec) -> CompiledRule:
    """Compile a rule or raise InvalidRule with the reason in one line."""
    if spec.kind == RuleKind.SPELLING:
        return compile_spelling_rule(spec)
    if spec.kind != RuleKind.REGEX:
        raise InvalidRule(f"unknown rule kind {spec.kind!r}")
    if not spec.pattern:
        raise InvalidRule("the pattern is empty")
    flags = parse_flags(spec.flags)
    try:
        regex = re.compile(spec.pattern, flags)
    except re.error as error:
        raise InvalidRule(f"invalid regex: {error}") from None
    _check_replacement(spec.pattern, flags, spec.replacement)
    if spec.replacement and regex.match("") is not None:
        raise InvalidRule(
            "the pattern can match an empty string, so the replacement would be inserted "
            "between characters; make it match at least one character"
        )
    return CompiledRule(
        name=spec.name,
        regex=regex,
        replace=spec.replacement,
        required_text=required_text(regex),
    )


def required_text(regex: re.Pattern[str], min_length: int = 3) -> str:
    """The longest run of plain characters the pattern's top level must match, or "".

    Only for case-sensitive patterns (ignoring case, a substring test would need the regex's own
    idea of which characters are equal), and "" whenever the parse is not understood.
    """
    if regex.flags & re.IGNORECASE:
        return ""
    try:
        # The standard library's own regex parser: the same reading the regex was compiled from.
        from re import _constants, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(regex.pattern, regex.flags)
        if parsed.state.flags & re.IGNORECASE:
            return ""
        runs, current = [], []
        for op, value in parsed:
            if op is _constants.LITERAL:
                current.append(chr(value))
            else:
                runs.append("".join(current))
                current = []
        runs.append("".join(current))
    except Exception:
        # A parser detail we do not know: no shortcut, and the same result without it.
        return ""
    longest = max(runs, key=len)
    return longest if len(longest) >= min_length else ""


def _check_replacement(pattern: str, flags: re.RegexFlag, replacement: str) -> None:
    # A bad group reference (\3 with two groups) or escape only fails when a match is expanded.
    # The probe adds an empty alternative, so it matches "" with the same groups and expands the
    # replacement once. The newline ends a trailing comment in verbose patterns.
    probe = re.compile(pattern + "\n|", flags)
    try:
        probe.sub(replacement, "", count=1)
    except (re.error, IndexError) as error:
        raise InvalidRule(f"invalid replacement: {error}", field="replacement") from None


def compile_rules(specs: Iterable[RuleSpec]) -> RuleSet:
    compiled = []
    for spec in specs:
        try:
            compiled.append(compile_rule(spec))
        except InvalidRule as error:
            raise InvalidRule(f"rule {spec.name!r}: {error}", field=error.field) from None
    return RuleSet(compiled)


def apply_rules(text: str, rules: Sequence[CompiledRule]) -> CleaningOutcome:
    """Apply the rules in order, repeating the sequence until the text is a fixed point.

    A RuleSet runs its fused steps; any other sequence runs its rules one by one (same result).
    """
    steps: Sequence[RuleStep] = rules.steps if isinstance(rules, RuleSet) else rules
    outcome = CleaningOutcome(text=text)
    for _ in range(MAX_PASSES):
        before = outcome.text
        for step in steps:
            outcome.text = step.run(outcome.text, outcome.match_counts)
        if outcome.text == before:
            return outcome
    outcome.settled = False
    return outcome

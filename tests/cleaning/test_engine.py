"""The rules engine: order, validation, fixed point."""

from __future__ import annotations

import pytest

from lyrics.cleaning.engine import MAX_PASSES, apply_rules, compile_rule, compile_rules
from lyrics.cleaning.errors import InvalidRule
from lyrics.cleaning.rule_types import RuleKind, RuleSpec


def test_rules_apply_in_order_so_swapping_two_changes_the_result() -> None:
    strip_notes = RuleSpec(name="strip notes", pattern=r"\[[^\]]*\]")
    soften = RuleSpec(name="soften brackets", pattern=r"\[([^\]]*)\]", replacement=r"(\1)")
    text = "Night shift [whispered] again"

    strip_first = apply_rules(text, compile_rules([strip_notes, soften])).text
    soften_first = apply_rules(text, compile_rules([soften, strip_notes])).text

    assert strip_first == "Night shift  again"
    assert soften_first == "Night shift (whispered) again"


def test_it_repeats_the_rules_until_the_text_settles() -> None:
    # Removing "xx" can create a new "xx" ("xxxx" → "" needs one pass, "xxxxx" → "x").
    rules = compile_rules([RuleSpec(name="drop pairs", pattern=r"x(x)", replacement="")])
    outcome = apply_rules("axxxxxb", rules)
    assert outcome.text == "axb"
    assert outcome.settled


def test_it_stops_and_says_so_when_the_rules_never_settle() -> None:
    rules = compile_rules([RuleSpec(name="grows", pattern="a", replacement="ba")])
    outcome = apply_rules("a", rules)
    assert outcome.settled is False
    assert outcome.text == "b" * MAX_PASSES + "a"


def test_it_counts_matches_per_rule_only_when_they_change_the_text() -> None:
    rules = compile_rules(
        [
            RuleSpec(name="runs of spaces", pattern=r" {2,}", replacement=" "),
            RuleSpec(name="same for same", pattern="o", replacement="o"),
        ]
    )
    outcome = apply_rules("go  go   go", rules)
    assert outcome.match_counts == {"runs of spaces": 2}


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        (RuleSpec(name="r", pattern="(unclosed"), "pattern", "invalid regex: missing )"),
        (RuleSpec(name="r", pattern="[z-a]"), "pattern", "invalid regex: bad character range"),
        (RuleSpec(name="r", pattern="a", flags="q"), "flags", "unknown regex flag 'q'"),
        (RuleSpec(name="r", pattern="(a)", replacement=r"\2"), "replacement", "invalid group"),
        (RuleSpec(name="r", pattern="a", replacement=r"\q"), "replacement", "bad escape"),
        (RuleSpec(name="r", pattern=""), "pattern", "the pattern is empty"),
        (RuleSpec(name="r", pattern="x*", replacement="y"), "pattern", "empty string"),
    ],
)
def test_it_refuses_a_rule_that_cannot_work(spec: RuleSpec, field: str, message: str) -> None:
    with pytest.raises(InvalidRule) as caught:
        compile_rule(spec)
    assert message in str(caught.value)
    assert caught.value.field == field


def test_it_accepts_inline_flags_and_named_groups() -> None:
    rule = compile_rule(RuleSpec(name="r", pattern=r"(?i)(?P<word>hey)+", replacement=r"\g<word>"))
    assert rule.apply("HeyHEY you") == ("HEY you", 1)


def test_a_compile_error_in_a_set_names_the_rule() -> None:
    with pytest.raises(InvalidRule, match="rule 'broken one': invalid regex"):
        compile_rules(
            [RuleSpec(name="fine", pattern="a"), RuleSpec(name="broken one", pattern="(")]
        )


def test_spelling_rules_match_whole_words_and_keep_the_case() -> None:
    rule = compile_rule(
        RuleSpec(
            name="getting",
            pattern="gettin'|gettin",
            replacement="getting",
            kind=RuleKind.SPELLING,
        )
    )
    text, count = rule.apply("Gettin' paid, GETTIN' late, gettin by, forgettin' nothing")
    assert text == "Getting paid, GETTING late, getting by, forgettin' nothing"
    assert count == 3


def test_a_spelling_rule_cannot_list_its_own_spelling_as_a_variant() -> None:
    with pytest.raises(InvalidRule, match="both a variant and the spelling to keep"):
        compile_rule(
            RuleSpec(
                name="s", pattern="thru|through", replacement="through", kind=RuleKind.SPELLING
            )
        )

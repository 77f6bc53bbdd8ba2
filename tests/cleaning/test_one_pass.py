"""Spelling rules in one pass and the required-text shortcut give what rule by rule gives."""

from __future__ import annotations

import dataclasses
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lyrics.cleaning.defaults import DEFAULT_RULES
from lyrics.cleaning.engine import apply_rules, compile_rule, compile_rules
from lyrics.cleaning.rule_types import CompiledRule, RuleKind, RuleSpec
from lyrics.cleaning.spelling import SpellingPass, default_spelling_map
from lyrics.cleaning.splitter import clean_song_text
from tests.cleaning.lyrics_fixtures import CLUTTERED_SONG, HEADERLESS_SONG

RULE_SET = compile_rules(DEFAULT_RULES)


def one_by_one(rules: list[CompiledRule] | object) -> list[CompiledRule]:
    """The rules as the engine ran them before: each its own regex, every search done."""
    return [dataclasses.replace(rule, required_text="") for rule in rules]  # type: ignore[attr-defined]


def varied_text(seed: int) -> str:
    """Invented lines mixing every shipped variant in every case form with clutter."""
    rng = random.Random(seed)
    variants = [v for forms in default_spelling_map().values() for v in forms]
    pieces = [*variants, *(v.upper() for v in variants), *(v.capitalize() for v in variants)]
    pieces += ["city", "night", "nothing", "forgettin'", "gettin'em", "Embed", "12 Contributors"]
    pieces += ["[Chorus]", "\u2019", "\u201c", "You might also like", "(x2)", "\u00a0", "-"]
    separators = [" ", " ", ", ", "\n", "\n\n", "'", "\u2019"]
    return "".join(rng.choice(pieces) + rng.choice(separators) for _ in range(400))


def test_the_shipped_spelling_rules_run_as_one_pass() -> None:
    fused = [step for step in RULE_SET.steps if isinstance(step, SpellingPass)]
    assert len(fused) == 1
    assert len(fused[0].rules) == len(default_spelling_map())
    assert len(RULE_SET) == len(DEFAULT_RULES)


def test_one_pass_gives_the_text_and_counts_of_rule_by_rule_on_varied_text() -> None:
    for seed in range(20):
        text = varied_text(seed)
        fast = apply_rules(text, RULE_SET)
        slow = apply_rules(text, one_by_one(RULE_SET))
        assert (fast.text, fast.match_counts, fast.settled) == (
            slow.text,
            slow.match_counts,
            slow.settled,
        )
        assert sum(count for name, count in fast.match_counts.items() if "spelling" in name) > 50


def test_one_pass_gives_the_verses_of_rule_by_rule_on_whole_songs() -> None:
    for song in [CLUTTERED_SONG, HEADERLESS_SONG, varied_text(99)]:
        fast = clean_song_text(song, RULE_SET)
        slow = clean_song_text(song, one_by_one(RULE_SET))
        assert (fast.verses, fast.match_counts) == (slow.verses, slow.match_counts)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["gettin'", "GETTIN", "Nothin", "cuz", "thru", "y", "'", " ", "\n"]),
            st.text(max_size=4),
        ),
        max_size=30,
    ).map("".join)
)
def test_one_pass_equals_rule_by_rule_on_any_text(text: str) -> None:
    fast = apply_rules(text, RULE_SET)
    slow = apply_rules(text, one_by_one(RULE_SET))
    assert (fast.text, fast.match_counts) == (slow.text, slow.match_counts)


def spelling(name: str, variants: str, keep: str) -> RuleSpec:
    return RuleSpec(name=name, pattern=variants, replacement=keep, kind=RuleKind.SPELLING)


def test_a_kept_spelling_that_a_later_rule_rewrites_starts_a_new_pass() -> None:
    # One by one, "thru" becomes "through" and then "thorough": a single pass would stop early.
    specs = [spelling("a", "thru", "through"), spelling("b", "through", "thorough")]
    rules = compile_rules(specs)
    assert not any(isinstance(step, SpellingPass) for step in rules.steps)
    text = "Thru the night, THRU the day"
    assert apply_rules(text, rules).text == apply_rules(text, list(rules)).text
    assert apply_rules(text, rules).text == "Thorough the night, THOROUGH the day"


def test_the_first_rule_listing_a_variant_takes_it_as_rule_by_rule_does() -> None:
    rules = compile_rules(
        [spelling("first", "gonna|tryna", "goingto"), spelling("second", "gonna", "gon")]
    )
    assert any(isinstance(step, SpellingPass) for step in rules.steps)
    outcome = apply_rules("Gonna tryna gonna", rules)
    assert outcome.text == apply_rules("Gonna tryna gonna", list(rules)).text
    assert outcome.text == "Goingto goingto goingto"
    assert outcome.match_counts == {"first": 3}


def test_a_spelling_with_a_space_is_not_a_plain_word_and_runs_on_its_own() -> None:
    rules = compile_rules(
        [spelling("going to", "gonna", "going to"), spelling("getting", "gettin", "getting")]
    )
    assert not any(isinstance(step, SpellingPass) for step in rules.steps)
    assert apply_rules("Gonna be gettin", rules).text == "Going to be getting"


def test_a_non_ascii_spelling_rule_runs_on_its_own() -> None:
    rules = compile_rules(
        [spelling("cafe", "cafe", "café"), spelling("getting", "gettin", "getting")]
    )
    assert not any(isinstance(step, SpellingPass) for step in rules.steps)
    assert apply_rules("Cafe gettin", rules).text == "Café getting"


def test_a_case_sensitive_regex_rule_skips_text_without_its_required_words() -> None:
    rule = compile_rule(RuleSpec(name="embed", pattern=r"\d*\s*Embed\s*\Z"))
    assert rule.required_text == "Embed"
    assert rule.apply("no trailer here") == ("no trailer here", 0)
    assert rule.apply("last line\n12Embed") == ("last line\n", 1)


def test_no_required_text_is_assumed_when_case_is_ignored_or_the_words_are_optional() -> None:
    assert compile_rule(RuleSpec(name="i", pattern="Embed", flags="i")).required_text == ""
    assert compile_rule(RuleSpec(name="inline", pattern="(?i)Embed")).required_text == ""
    assert compile_rule(RuleSpec(name="opt", pattern="(?:Embed)?x")).required_text == ""
    assert compile_rule(RuleSpec(name="alt", pattern="Embed|Trailer")).required_text == ""

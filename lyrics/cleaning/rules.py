"""Reading the rule set from the database, in the order the engine applies it."""

from __future__ import annotations

from dataclasses import dataclass

from lyrics.cleaning.engine import RuleSet, compile_rules
from lyrics.cleaning.rule_types import RuleSpec
from lyrics.models import CleaningRule


@dataclass(frozen=True)
class OrderedSpec:
    """A rule with its place in the order; rule_id is None for an unsaved candidate."""

    position: int
    rule_id: int | None
    spec: RuleSpec

    @property
    def sort_key(self) -> tuple[int, int]:
        # An unsaved rule sorts after saved rules at the same position, as it will once saved.
        return (self.position, self.rule_id if self.rule_id is not None else 2**63)


def enabled_specs(*, exclude_rule_id: int | None = None) -> list[OrderedSpec]:
    rules = CleaningRule.objects.enabled().in_order()
    if exclude_rule_id is not None:
        rules = rules.exclude(pk=exclude_rule_id)
    return [
        OrderedSpec(position=rule.position, rule_id=rule.pk, spec=rule.spec()) for rule in rules
    ]


def compile_ordered(specs: list[OrderedSpec]) -> RuleSet:
    """Compile in order; raises InvalidRule naming the rule that does not compile."""
    return compile_rules(item.spec for item in sorted(specs, key=lambda item: item.sort_key))


def load_enabled_rules() -> RuleSet:
    return compile_ordered(enabled_specs())

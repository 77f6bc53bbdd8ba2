"""Cleaning rules as data: staff order, enable and edit them in admin; the engine applies them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from lyrics.cleaning.engine import compile_rule
from lyrics.cleaning.errors import InvalidRule
from lyrics.cleaning.rule_types import CompiledRule, RuleKind, RuleSpec


class CleaningRuleQuerySet(models.QuerySet["CleaningRule"]):
    def in_order(self) -> CleaningRuleQuerySet:
        return self.order_by("position", "id")

    def enabled(self) -> CleaningRuleQuerySet:
        return self.filter(enabled=True)


class CleaningRule(models.Model):
    class Kind(models.TextChoices):
        REGEX = RuleKind.REGEX.value, "regex → replacement"
        SPELLING = RuleKind.SPELLING.value, "spelling (variants separated by | → one spelling)"

    position = models.PositiveIntegerField(
        db_index=True, help_text="Rules run from the lowest position up; the order matters."
    )
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REGEX)
    pattern = models.TextField(
        help_text="A Python regex; for a spelling rule, the spellings to replace, separated by |."
    )
    replacement = models.TextField(
        blank=True,
        help_text=r"What a match becomes (\1 or \g<name> refer to groups); empty removes it.",
    )
    flags = models.CharField(
        max_length=8,
        blank=True,
        help_text="Regex flags: i (ignore case), m (^ $ per line), s (. matches \\n), x (verbose).",
    )
    enabled = models.BooleanField(default=True)
    description = models.TextField(blank=True, help_text="Why the rule exists.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CleaningRuleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="cleaning_rule_name_not_empty"),
        ]
        # Re-running rewrites the verses of every song, beyond the rules themselves.
        permissions = [("rerun_cleaning", "Can re-run cleaning over every song")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # A rule that does not compile would break every cleaning run, whichever door wrote it.
        self.clean()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def spec(self) -> RuleSpec:
        return RuleSpec(
            name=self.name,
            pattern=self.pattern,
            replacement=self.replacement,
            flags=self.flags,
            kind=RuleKind(self.kind),
            description=self.description,
        )

    def compiled(self) -> CompiledRule:
        """The rule ready to apply; raises InvalidRule with the regex error."""
        return compile_rule(self.spec())

    def clean(self) -> None:
        try:
            self.compiled()
        except InvalidRule as error:
            raise ValidationError({error.field: str(error)}) from None

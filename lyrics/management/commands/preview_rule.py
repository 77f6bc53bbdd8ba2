"""manage.py preview_rule: what one rule would change across the catalogue; writes no verse."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lyrics.cleaning.errors import InvalidRule
from lyrics.cleaning.preview import preview_rule
from lyrics.cleaning.preview_jobs import compute_and_store
from lyrics.cleaning.rule_types import RuleKind, RuleSpec
from lyrics.models import CleaningRule


class Command(BaseCommand):
    help = (
        "Clean every song with the enabled rules and one rule (a saved one with --rule-id, or "
        "new values) at its position, and count the songs and verses it changes. Writes no verse."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rule-id", type=int, metavar="ID", help="A saved rule to preview.")
        parser.add_argument(
            "--spec-json",
            metavar="JSON",
            help='New values: {"name", "pattern", "replacement", "flags", "kind"}.',
        )
        parser.add_argument("--position", type=int, metavar="N", help="Where the rule runs.")
        parser.add_argument(
            "--store-key",
            metavar="KEY",
            help="Keep the result in the cache under KEY (the admin's background preview).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        candidate, position = self._candidate(options)
        try:
            if options["store_key"]:
                preview = compute_and_store(
                    candidate=candidate,
                    position=position,
                    rule_id=options["rule_id"],
                    key=options["store_key"],
                )
            else:
                preview = preview_rule(
                    candidate=candidate, position=position, rule_id=options["rule_id"]
                )
        except InvalidRule as error:
            raise CommandError(str(error)) from None
        for warning in preview.warnings:
            self.stderr.write(f"warning: {warning}")
        if options["verbosity"]:
            self.stdout.write(
                f"{preview.rule_name}: {preview.songs_changed} of {preview.songs_scanned} songs "
                f"and {preview.verses_changed} verses changed, {preview.matches} matches, "
                f"verses {preview.verses_before} → {preview.verses_after}"
            )

    def _candidate(self, options: dict[str, Any]) -> tuple[RuleSpec, int]:
        rule = None
        if options["rule_id"] is not None:
            rule = CleaningRule.objects.filter(pk=options["rule_id"]).first()
            if rule is None:
                raise CommandError(f"no cleaning rule with id {options['rule_id']}")
        if options["spec_json"]:
            try:
                fields = json.loads(options["spec_json"])
                candidate = RuleSpec(
                    name=str(fields.get("name") or "(this rule)"),
                    pattern=str(fields["pattern"]),
                    replacement=str(fields.get("replacement", "")),
                    flags=str(fields.get("flags", "")),
                    kind=RuleKind(fields.get("kind", RuleKind.REGEX)),
                )
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise CommandError(f"--spec-json is not a rule: {error}") from None
        elif rule is not None:
            candidate = rule.spec()
        else:
            raise CommandError("name a saved rule with --rule-id or give --spec-json")
        position = options["position"]
        if position is None:
            if rule is None:
                raise CommandError("--position is needed for a rule that is not saved")
            position = rule.position
        return candidate, position

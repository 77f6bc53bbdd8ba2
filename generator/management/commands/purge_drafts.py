"""manage.py purge_drafts: delete saved drafts past their expiry that staff did not star.

The same service as the daily Celery task `generator.purge_drafts` (generator.drafts)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from generator.drafts import purge_expired_drafts


class Command(BaseCommand):
    help = (
        "Delete co-written drafts past their expiry (RAPLYRICS_DRAFT_EXPIRY_DAYS after an "
        "anonymous save) unless staff starred them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        count = purge_expired_drafts(dry_run=dry_run)
        if int(options["verbosity"]) >= 1:
            verb = "would delete" if dry_run else "deleted"
            self.stdout.write(self.style.SUCCESS(f"{verb} {count} expired draft(s)"))

"""manage.py import_textgenrnn: register a model trained with the textgenrnn library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generator.training import TrainingRequestError
from generator.training.imports import import_textgenrnn


class Command(BaseCommand):
    help = (
        "Register textgenrnn's file trio (*_weights.hdf5, *_vocab.json, *_config.json) as a "
        "model version, after checking that the three files fit together."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weights", type=Path, required=True, metavar="FILE")
        parser.add_argument("--vocab", type=Path, required=True, metavar="FILE")
        parser.add_argument("--config", type=Path, required=True, metavar="FILE")
        parser.add_argument("--name", required=True, help="The model version's unique name.")
        parser.add_argument("--activate", action="store_true", help="Serve it from now on.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version = import_textgenrnn(
                weights=options["weights"],
                vocab=options["vocab"],
                config=options["config"],
                name=options["name"],
                activate=options["activate"],
            )
        except TrainingRequestError as exc:
            raise CommandError(str(exc)) from None
        state = " and activated it" if version.is_active else ""
        self.stdout.write(
            self.style.SUCCESS(f"imported model version {version.name!r} (#{version.pk}){state}")
        )

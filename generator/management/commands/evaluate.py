"""manage.py evaluate: how well model versions write verses, beside their corpus's held-out verses.

Each version writes `--verses` verses (default 24, 8 lines each, the API's writer and defaults)
from seeds `--seed`, `--seed + 1`, ... (default 1000, the seeds reported in docs/quality.md), and
is measured (rhyme density, copying, non-words, shape, diversity, held-out loss) beside the
verses its training run held out. Each evaluation is stored (ModelEvaluation, shown in the
admin and GET /api/models); the table is printed, one column per version and one for the corpus.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generator.evaluation import MAX_VERSES, EvaluationError, evaluate_model_version
from generator.models import ModelEvaluation, ModelVersion


class Command(BaseCommand):
    help = (
        "Evaluate model versions: verses they write (fixed seeds) measured beside the verses "
        "their training run held out; stores each evaluation and prints the table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--model", type=int, action="append", metavar="ID", help="A version.")
        which.add_argument("--active", action="store_true", help="The version the API serves.")
        which.add_argument("--all", action="store_true", help="Every model version.")
        parser.add_argument(
            "--verses", type=int, default=None, metavar="N", help=f"1 to {MAX_VERSES} (24)."
        )
        parser.add_argument(
            "--seed", type=int, default=None, metavar="S", help="First verse's seed (1000)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        versions = self._versions(options)
        verbosity = int(options["verbosity"])
        evaluations: list[ModelEvaluation] = []
        failures: list[str] = []
        for version in versions:
            if verbosity >= 2:
                self.stderr.write(f"evaluating {version.name} (#{version.pk})...")
            try:
                evaluations.append(
                    evaluate_model_version(
                        version_id=version.pk, verses=options["verses"], first_seed=options["seed"]
                    )
                )
            except EvaluationError as error:
                if len(versions) == 1:
                    raise CommandError(str(error)) from None
                failures.append(str(error))
                self.stderr.write(self.style.ERROR(str(error)))
        self._print_tables(evaluations)
        if failures:
            raise CommandError(
                f"{len(failures)} of {len(versions)} versions could not be evaluated (above)"
            )
        if verbosity >= 1:
            seconds = sum(evaluation.seconds for evaluation in evaluations)
            self.stdout.write(
                self.style.SUCCESS(f"{len(evaluations)} evaluation(s) stored in {seconds:.0f} s")
            )

    def _versions(self, options: dict[str, Any]) -> list[ModelVersion]:
        if options["all"]:
            versions = list(ModelVersion.objects.order_by("id"))
            if not versions:
                raise CommandError("there is no model version yet; train one with manage.py train")
            return versions
        if options["active"]:
            active = ModelVersion.objects.active()
            if active is None:
                raise CommandError(
                    "no model version is active; activate one in the admin or pass --model ID"
                )
            return [active]
        ids = list(dict.fromkeys(options["model"]))
        found = {version.pk: version for version in ModelVersion.objects.filter(pk__in=ids)}
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise CommandError(
                f"there is no model version {', '.join(missing)}; list them with "
                "GET /api/models or in the admin"
            )
        return [found[pk] for pk in ids]

    def _print_tables(self, evaluations: list[ModelEvaluation]) -> None:
        from generator.ml.evaluation.table import format_table

        # Versions trained on the same corpus with the same split share one corpus column.
        groups: dict[tuple[Any, ...], list[ModelEvaluation]] = {}
        for evaluation in evaluations:
            key = (
                evaluation.settings.get("corpus_sha256"),
                evaluation.settings.get("validation_split"),
                evaluation.settings.get("split_seed"),
            )
            groups.setdefault(key, []).append(evaluation)
        for group in groups.values():
            first = group[0]
            rows = [(f"corpus ({first.held_out_verses} held out)", first.corpus_row)]
            rows += [(evaluation.version.name, evaluation.model_row) for evaluation in group]
            settings = first.settings
            self.stdout.write(
                f"{settings.get('verses')} verses of {settings.get('lines')} lines each, "
                f"seeds {settings.get('first_seed')}.., recipe {settings.get('recipe')}"
            )
            self.stdout.write(format_table(rows))
            self.stdout.write("")

"""manage.py prepare_demo_model: on a fresh clone, register the shipped demo model once.

`make run` calls this before serving. The first time it registers the demo model that ships in
generator/demo/model/ (trained by `make demo-model` on the original verses of
generator/demo/corpus.txt) as model version `demo` and activates it: no training, a second or
two. Without a usable shipped model (missing, or trained on another version of the corpus) it
fine-tunes textgenrnn's pretrained network on the corpus instead (about 10 minutes on two CPU
cores). Afterwards it says "demo model ready" and does nothing. RAPLYRICS_SKIP_DEMO=1 skips it.
An interrupted training (Ctrl-C) resumes from its last checkpoint the next time.

`--retrain` trains even when a shipped model exists, and `--export DIR` then writes the result
where `make demo-model` ships it (generator.demo.shipped).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generator.demo import DEMO_CORPUS
from generator.management.progress import TrainingProgress
from generator.models import ModelVersion, TrainingRun

if TYPE_CHECKING:  # imported for real only when training: TensorFlow takes seconds to load
    from generator.ml.config import Objective, TextKind
    from generator.ml.fit import StopFlag
    from generator.training import RunOutcome

DEMO_VERSION_NAME = "demo"
# Trained to its best held-out loss: textgenrnn's objective (measured on this corpus: as a line
# model, held-out loss 1.391 after 2 epochs; as the verse model that ships, 1.407 after 3;
# all-positions at stride 40, batch 128 reached 1.472 at best; docs/benchmarks.md reports
# 1.3825 at stride 10, batch 32, not tried here), stopping after the first epoch that does not
# improve; at most DEMO_EPOCHS (about 1-3 minutes each on 2 cores).
DEMO_EPOCHS = 6
DEMO_PATIENCE = 1
DEMO_OBJECTIVE: Objective = "last"
# Whole verses, a newline token added to the pretrained vocabulary (a verse model; see
# docs/quality.md for the verse model against the line model on the same corpus).
DEMO_TEXTS: TextKind = "verses"
# The trained weights, not their moving average (the training default): retrained with the
# average the demo model scored a lower held-out loss (1.375 against 1.407) but its verses fell
# under the distinct-2 target on a tuning batch, and the writer was tuned on this model
# (docs/quality.md, *Weight averaging*).
DEMO_WEIGHT_AVERAGE = 0.0
SKIP_VARIABLE = "RAPLYRICS_SKIP_DEMO"


class Command(BaseCommand):
    help = (
        "Fine-tune and activate the demo model (version 'demo') unless it exists; "
        f"{SKIP_VARIABLE}=1 skips this."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--epochs", type=int, default=DEMO_EPOCHS, metavar="N")
        parser.add_argument("--corpus-file", type=Path, default=DEMO_CORPUS, metavar="FILE")
        parser.add_argument(
            "--retrain",
            action="store_true",
            help="Train even when a shipped demo model exists (make demo-model).",
        )
        parser.add_argument(
            "--export",
            type=Path,
            metavar="DIR",
            help="After training, write the model where it ships (generator/demo/model).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if os.environ.get(SKIP_VARIABLE, "").strip() not in ("", "0"):
            self.stdout.write(f"demo model skipped ({SKIP_VARIABLE} is set)")
            return
        if ModelVersion.objects.filter(name=DEMO_VERSION_NAME).exists():
            self.stdout.write("demo model ready")
            return
        if options["export"] is not None and not options["retrain"]:
            raise CommandError("--export writes a newly trained model: add --retrain")
        if not options["retrain"] and self._register_shipped(options):
            return
        # Imported here: TensorFlow takes seconds to load, and "ready" must be instant.
        from generator.ml.fit import StopFlag
        from generator.training import TrainingRequestError, TrainingRunError
        from generator.training.stopping import (
            ABORTED,
            ABORTED_EXIT_CODE,
            STOP_SIGNALS,
            stop_on_signals,
        )

        verbosity = int(options["verbosity"])
        if verbosity >= 1:
            self.stdout.write(
                "preparing the demo model: fine-tuning the pretrained network on "
                f"{options['corpus_file']} (once; {SKIP_VARIABLE}=1 skips this)"
            )
        stop = StopFlag()
        progress = TrainingProgress(
            stdout=self.stdout, stderr=self.stderr, verbosity=verbosity, stop=stop
        )
        try:
            with stop_on_signals(stop, signals=STOP_SIGNALS, announce=progress.warn):
                outcome = self._prepare(options, stop=stop, progress=progress)
        except (TrainingRequestError, TrainingRunError) as exc:
            raise CommandError(f"the demo model could not be prepared: {exc}") from None
        except KeyboardInterrupt:
            raise CommandError(
                f"demo model preparation {ABORTED}; it goes on next time",
                returncode=ABORTED_EXIT_CODE,
            ) from None
        finally:
            progress.close()
        if outcome.status != TrainingRun.Status.DONE:
            progress.say(
                self.style.WARNING("demo model preparation interrupted; it resumes next time")
            )
            if stop.requested:
                # make run must not go on to serve after a Ctrl-C.
                raise SystemExit(ABORTED_EXIT_CODE)
            return
        progress.say(self.style.SUCCESS(f"demo model ready: {outcome.message}"))
        if options["export"] is not None:
            from generator.demo.shipped import export_demo_model

            version = ModelVersion.objects.get(name=DEMO_VERSION_NAME)
            written = export_demo_model(version, Path(options["export"]))
            self.stdout.write(f"demo model exported to {written}")

    def _register_shipped(self, options: dict[str, Any]) -> bool:
        from generator.demo.shipped import (
            ShippedModelError,
            register_shipped_demo_model,
            shipped_model,
        )
        from generator.model_versions import ModelVersionError

        corpus_file = Path(options["corpus_file"]).resolve()
        try:
            shipped = shipped_model(corpus_file=corpus_file)
        except ShippedModelError as error:
            if int(options["verbosity"]) >= 1:
                self.stdout.write(f"no shipped demo model to use ({error}); training one")
            return False
        try:
            version = register_shipped_demo_model(
                shipped, name=DEMO_VERSION_NAME, corpus_file=corpus_file
            )
        except ModelVersionError as error:
            raise CommandError(f"the shipped demo model could not be registered: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(f"demo model ready: the shipped model, version {version.pk}")
        )
        return True

    def _prepare(
        self, options: dict[str, Any], *, stop: StopFlag, progress: TrainingProgress
    ) -> RunOutcome:
        from generator.training import RunOptions, create_training_run, start_or_resume_run

        corpus_file = Path(options["corpus_file"]).resolve()
        unfinished = (
            TrainingRun.objects.filter(
                corpus_file=str(corpus_file),
                status__in=[TrainingRun.Status.INTERRUPTED, TrainingRun.Status.QUEUED],
                model_version__isnull=True,
            )
            .order_by("-id")
            .first()
        )
        if unfinished is not None:
            run_id = unfinished.pk  # an earlier preparation stopped: it resumes
        else:
            run_id = create_training_run(
                corpus_file=corpus_file,
                options=RunOptions(
                    epochs=options["epochs"],
                    objective=DEMO_OBJECTIVE,
                    patience=DEMO_PATIENCE,
                    texts=DEMO_TEXTS,
                    weight_average=DEMO_WEIGHT_AVERAGE,
                ),
            ).pk
        return start_or_resume_run(
            run_id,
            stop=stop,
            listener=progress.listener(),
            activate=True,
            version_name=DEMO_VERSION_NAME,
        )

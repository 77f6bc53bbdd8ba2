"""manage.py prepare_demo_model: on a fresh clone, fine-tune a small demo model once.

`make run` calls this before serving. The first time it fine-tunes textgenrnn's pretrained
network on the original verses shipped in generator/demo/corpus.txt (about a minute or two on
two CPU cores), registers the result as model version `demo` with its line index and activates
it; afterwards it says "demo model ready" and does nothing. RAPLYRICS_SKIP_DEMO=1 skips it.
An interrupted preparation (Ctrl-C) resumes from its last checkpoint the next time.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generator.demo import DEMO_CORPUS
from generator.management.progress import TrainingProgress
from generator.management.stopping import stop_on_signals
from generator.models import ModelVersion, TrainingRun

DEMO_VERSION_NAME = "demo"
# One pass over the 37k windows of the demo corpus: about a minute on two free cores
# (measured); the pretrained network already knows English, so one epoch gives it the style.
DEMO_EPOCHS = 1
SKIP_VARIABLE = "RAPLYRICS_SKIP_DEMO"


class Command(BaseCommand):
    help = (
        "Fine-tune and activate the demo model (version 'demo') unless it exists; "
        f"{SKIP_VARIABLE}=1 skips this."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--epochs", type=int, default=DEMO_EPOCHS, metavar="N")
        parser.add_argument("--corpus-file", type=Path, default=DEMO_CORPUS, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        if os.environ.get(SKIP_VARIABLE, "").strip() not in ("", "0"):
            self.stdout.write(f"demo model skipped ({SKIP_VARIABLE} is set)")
            return
        if ModelVersion.objects.filter(name=DEMO_VERSION_NAME).exists():
            self.stdout.write("demo model ready")
            return
        # Imported here: TensorFlow takes seconds to load, and "ready" must be instant.
        from generator.ml.training import StopFlag
        from generator.training import TrainingRequestError, TrainingRunError

        verbosity = int(options["verbosity"])
        if verbosity >= 1:
            self.stdout.write(
                "preparing the demo model: fine-tuning the pretrained network on "
                f"{options['corpus_file']} (once; {SKIP_VARIABLE}=1 skips this)"
            )
        stop = StopFlag()
        progress = TrainingProgress(stdout=self.stdout, stderr=self.stderr, verbosity=verbosity)
        try:
            with stop_on_signals(stop, progress):
                outcome = self._prepare(options, stop=stop, progress=progress)
        except (TrainingRequestError, TrainingRunError) as exc:
            raise CommandError(f"the demo model could not be prepared: {exc}") from None
        finally:
            progress.close()
        if outcome.status != TrainingRun.Status.DONE:
            self.stdout.write(
                self.style.WARNING("demo model preparation interrupted; it resumes next time")
            )
            if stop.requested:
                # make run must not go on to serve after a Ctrl-C.
                raise SystemExit(128 + signal.SIGINT)
            return
        self.stdout.write(self.style.SUCCESS(f"demo model ready: {outcome.message}"))

    def _prepare(self, options: dict[str, Any], *, stop: Any, progress: TrainingProgress) -> Any:
        from generator.training import create_training_run, resume_training_run, run_training

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
            return resume_training_run(
                unfinished.pk,
                stop=stop,
                listener=progress.listener(),
                activate=True,
                version_name=DEMO_VERSION_NAME,
            )
        run = create_training_run(corpus_file=corpus_file, epochs=options["epochs"])
        return run_training(
            run.pk,
            stop=stop,
            listener=progress.listener(),
            activate=True,
            version_name=DEMO_VERSION_NAME,
        )

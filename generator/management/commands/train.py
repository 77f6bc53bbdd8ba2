"""manage.py train: fine-tune (or train anew) the lyrics model, checkpointing every epoch.

SIGTERM (a spot instance's termination notice) or Ctrl-C stops the run at the next batch
boundary: the checkpoint is uploaded, the run marked interrupted, and the command exits 0 saying
how to resume it, on this machine or any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generator.management.progress import TrainingProgress
from generator.ml.config import (
    DEFAULT_BATCH_SIZES,
    DEFAULT_PATIENCE,
    DEFAULT_TEXTS,
    DEFAULT_WEIGHT_AVERAGE,
    LEARNING_RATE_RANGE,
    OBJECTIVES,
    TEXT_KINDS,
)
from generator.ml.fit import StopFlag
from generator.models import TrainingRun
from generator.training import (
    RunOptions,
    RunOutcome,
    TrainingRequestError,
    TrainingRunError,
    corpus_size_warning,
    create_training_run,
    start_or_resume_run,
)
from generator.training.requests import MODEL_OPTIONS
from generator.training.stopping import (
    ABORTED,
    ABORTED_EXIT_CODE,
    STOP_SIGNALS,
    stop_on_signals,
)

DEFAULTS = RunOptions()


class Command(BaseCommand):
    help = (
        "Train the lyrics model on a corpus: fine-tune textgenrnn's pretrained network (default) "
        "or a new one (--new). Every epoch's checkpoint goes to artifact storage (S3 when "
        "ARTIFACTS_S3_BUCKET is set); SIGTERM stops at the next batch and --resume RUN_ID "
        "continues anywhere. On success a model version named run-<id> is registered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--corpus", type=int, metavar="ID", help="A built corpus (its id).")
        source.add_argument("--corpus-file", type=Path, metavar="FILE", help="A text file.")
        source.add_argument(
            "--resume", type=int, metavar="RUN_ID", help="Continue an interrupted run."
        )
        start = parser.add_mutually_exclusive_group()
        start.add_argument(
            "--from-pretrained",
            dest="new",
            action="store_false",
            help="Fine-tune textgenrnn's pretrained network (default).",
        )
        start.add_argument("--new", action="store_true", help="Train a new network.")
        parser.set_defaults(new=False)
        model = parser.add_argument_group("network (textgenrnn's hyperparameters)")
        model.add_argument("--rnn-layers", type=int, metavar="N")
        model.add_argument("--rnn-size", type=int, metavar="N")
        model.add_argument(
            "--rnn-bidirectional", action="store_true", default=None, help="Bidirectional LSTMs."
        )
        model.add_argument("--max-length", type=int, metavar="N", help="Window length (40).")
        model.add_argument("--dim-embeddings", type=int, metavar="N")
        model.add_argument(
            "--word-level", action="store_true", default=None, help="Words, not characters."
        )
        model.add_argument("--max-words", type=int, metavar="N", help="Word vocabulary size.")
        training = parser.add_argument_group("training")
        training.add_argument(
            "--epochs",
            type=int,
            metavar="N",
            help=f"Epochs (default {DEFAULTS.epochs}; with --resume, a new total extends the run).",
        )
        training.add_argument(
            "--batch-size",
            type=int,
            metavar="N",
            help="Windows per batch (default "
            + ", ".join(f"{size} for {name}" for name, size in DEFAULT_BATCH_SIZES.items())
            + ").",
        )
        training.add_argument(
            "--learning-rate",
            type=float,
            default=DEFAULTS.learning_rate,
            metavar="LR",
            help=f"Adam's learning rate, {LEARNING_RATE_RANGE[0]:g} to "
            f"{LEARNING_RATE_RANGE[1]:g} (default {DEFAULTS.learning_rate:g}, textgenrnn's), "
            "decayed linearly over the epochs.",
        )
        training.add_argument("--dropout", type=float, default=DEFAULTS.dropout, metavar="P")
        training.add_argument(
            "--validation-split",
            type=float,
            default=DEFAULTS.validation_split,
            metavar="F",
            help=f"Share of whole verses held out for validation ({DEFAULTS.validation_split}).",
        )
        training.add_argument("--seed", type=int, default=DEFAULTS.seed, metavar="N")
        training.add_argument(
            "--objective",
            choices=OBJECTIVES,
            default=DEFAULTS.objective,
            help=(
                "last: each window teaches its last next token (textgenrnn's); all-positions: "
                f"every position of a window is a target (default {DEFAULTS.objective})."
            ),
        )
        training.add_argument(
            "--texts",
            choices=TEXT_KINDS,
            default=DEFAULT_TEXTS,
            help=(
                "verses: a training text is a whole verse, lines joined by a newline token "
                "added to the vocabulary (a verse model); lines: one line per text, "
                f"textgenrnn's way (a line model). Default {DEFAULT_TEXTS}."
            ),
        )
        training.add_argument(
            "--stride",
            type=int,
            metavar="N",
            help=(
                "all-positions: a window every N tokens of a text, teaching its last N "
                "positions (default: a quarter of --max-length)."
            ),
        )
        training.add_argument(
            "--backprop-steps",
            type=int,
            metavar="N",
            help=(
                "Backpropagate through the last N LSTM steps of a window only (default: the "
                "whole window; 20 trains all-positions about 1.5x faster)."
            ),
        )
        training.add_argument(
            "--patience",
            type=int,
            metavar="N",
            help=(
                "Stop once the validation loss has not improved for N epochs (default "
                f"{DEFAULT_PATIENCE} when a validation split is held out; 0: train every "
                "epoch); the model registered is always the best epoch's."
            ),
        )
        training.add_argument(
            "--weight-average",
            type=float,
            metavar="M",
            help=(
                "The model registered is a moving average of the trained weights over about "
                f"1/(1-M) batches (default M={DEFAULT_WEIGHT_AVERAGE}); 0: the trained weights "
                "themselves."
            ),
        )
        parser.add_argument(
            "--activate", action="store_true", help="Serve the resulting model version."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options["verbosity"])
        stop = StopFlag()
        progress = TrainingProgress(
            stdout=self.stdout, stderr=self.stderr, verbosity=verbosity, stop=stop
        )
        try:
            with stop_on_signals(stop, signals=STOP_SIGNALS, announce=progress.warn):
                outcome = self._train(options, stop=stop, progress=progress)
        except (TrainingRequestError, TrainingRunError) as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            raise CommandError(aborted_line(progress), returncode=ABORTED_EXIT_CODE) from None
        finally:
            progress.close()
        style = self.style.SUCCESS if outcome.status == "done" else self.style.WARNING
        progress.say(style(outcome.message))

    def _train(
        self, options: dict[str, Any], *, stop: StopFlag, progress: TrainingProgress
    ) -> RunOutcome:
        if options["resume"] is not None:
            for flag in ("corpus", "corpus_file"):
                if options[flag] is not None:
                    raise CommandError("--resume takes its corpus from the run")
            run_id = options["resume"]
        else:
            run = create_training_run(
                corpus_id=options["corpus"],
                corpus_file=options["corpus_file"],
                options=run_options(options),
            )
            warning = corpus_size_warning(run)
            if warning is not None and int(options["verbosity"]) >= 1:
                progress.warn(self.style.WARNING(f"warning: {warning}"))
            run_id = run.pk
        return start_or_resume_run(
            run_id,
            epochs=options["epochs"] if options["resume"] is not None else None,
            stop=stop,
            listener=progress.listener(),
            activate=options["activate"],
        )


def aborted_line(progress: TrainingProgress) -> str:
    """What a second Ctrl-C's immediate stop says, and how to go on from it."""
    if progress.started is None:
        return ABORTED
    run = TrainingRun.objects.get(pk=progress.started.run_id)
    where = (
        "its last stored checkpoint" if run.checkpoint_keys else "the start (it had stored none)"
    )
    return (
        f"run #{run.pk} {ABORTED}; resume it from {where} with: "
        f"python manage.py train --resume {run.pk}"
    )


def run_options(flags: dict[str, Any]) -> RunOptions:
    """The run's options from the command's flags (a flag left out keeps RunOptions' default)."""
    return RunOptions(
        from_pretrained=not flags["new"],
        model_options={key: flags[key] for key in MODEL_OPTIONS},
        epochs=flags["epochs"] if flags["epochs"] is not None else DEFAULTS.epochs,
        batch_size=flags["batch_size"],
        learning_rate=flags["learning_rate"],
        dropout=flags["dropout"],
        validation_split=flags["validation_split"],
        seed=flags["seed"],
        objective=flags["objective"],
        stride=flags["stride"],
        backprop_steps=flags["backprop_steps"],
        patience=flags["patience"],
        weight_average=flags["weight_average"],
        texts=flags["texts"],
    )

"""Evaluating a model version: verses it writes beside its corpus's held-out verses, stored.

`evaluate_model_version` is the one door's-worth of logic: `manage.py evaluate`, the Celery task
`evaluate_model` and the hook that runs after a training run registers a version
(`evaluate_after_training`) all call it. It finds the verses the version's run held out (the
run's corpus, validation split and seed: `corpus_text.split_corpus`), loads the version's files,
runs the measures (generator/ml/evaluation) and stores one `ModelEvaluation`, only once all of
it worked: a failure stores nothing and says in one line what to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from celery import current_app
from django.conf import settings
from django.db import transaction

from common.broker import BrokerUnreachable, broker_reachable
from generator import limits
from generator.models import ModelEvaluation, ModelVersion, TrainingRun

if TYPE_CHECKING:
    from generator.ml.evaluation.report import Evaluation
    from generator.ml.evaluation.writing import Recipe
    from generator.ml.lyrics_writer import LineShape
    from generator.ml.originality import CorpusLineIndex
    from generator.ml.streams import StreamSampler
    from generator.ml.weight_files import TextgenrnnFiles
    from generator.ml.weights import LoadedModel

logger = logging.getLogger(__name__)

MAX_VERSES = 256
EVALUATION_QUEUE = "training"  # where TensorFlow and the model files already are
# The Celery task (generator/tasks.py) that runs `evaluate_model_version` on a worker; queued
# by name, so that this service does not import its door.
EVALUATION_TASK = "generator.evaluate_model"


class EvaluationError(Exception):
    """A version that cannot be evaluated; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class HeldOut:
    train_verses: list[str]
    held_out_verses: list[str]
    validation_lines: list[str]
    corpus_sha256: str
    validation_split: float
    seed: int


def evaluate_model_version(
    *,
    version_id: int,
    verses: int | None = None,
    first_seed: int | None = None,
) -> ModelEvaluation:
    """Evaluate one version with `verses` verses (default 24) from seeds `first_seed`, ...
    (default 1000, the reporting seeds) and store the result."""
    from generator.ml.evaluation.report import DEFAULT_FIRST_SEED, DEFAULT_VERSES

    verses = DEFAULT_VERSES if verses is None else verses
    first_seed = DEFAULT_FIRST_SEED if first_seed is None else first_seed
    _check_settings(verses=verses, first_seed=first_seed)
    version = _get_version(version_id)
    held_out = held_out_verses(version)
    evaluation = measure_loaded(
        version, load_for_evaluation(version), held_out, verses=verses, first_seed=first_seed
    )
    with transaction.atomic():
        return ModelEvaluation.objects.create(
            version=version,
            settings={
                **evaluation.settings,
                "corpus_sha256": held_out.corpus_sha256,
                "validation_split": held_out.validation_split,
                "split_seed": held_out.seed,
            },
            measures={"model": evaluation.model_row, "corpus": evaluation.corpus_row},
            samples=evaluation.samples,
            held_out_verses=evaluation.held_out_verses,
            seconds=round(evaluation.seconds, 3),
        )


def _check_settings(*, verses: int, first_seed: int) -> None:
    if isinstance(verses, bool) or not isinstance(verses, int) or not 1 <= verses <= MAX_VERSES:
        raise EvaluationError(f"verses must be a whole number from 1 to {MAX_VERSES}, not {verses}")
    if (
        isinstance(first_seed, bool)
        or not isinstance(first_seed, int)
        or not 0 <= first_seed <= limits.SEED_MAX - verses
    ):
        raise EvaluationError(
            f"seed must be a whole number from 0 to {limits.SEED_MAX - verses}, not {first_seed}"
        )


def _get_version(version_id: int) -> ModelVersion:
    version = ModelVersion.objects.select_related("training_run").filter(pk=version_id).first()
    if version is None:
        raise EvaluationError(
            f"there is no model version {version_id}; list the versions with GET /api/models "
            "or in the admin"
        )
    return version


def held_out_verses(version: ModelVersion) -> HeldOut:
    """The verses the version's training run held out, and those it trained on."""
    from generator.artifacts import ArtifactStoreError, store_from_settings
    from generator.training.corpus_text import split_corpus
    from generator.training.errors import TrainingRunError
    from generator.training.stored import read_run_corpus

    run: TrainingRun | None = version.training_run
    if run is None:
        raise EvaluationError(
            f"model version {version.pk} ({version.name}) has no training run here, so which "
            "verses it never saw is unknown; evaluate a version trained with manage.py train"
        )
    training = run.hyperparameters.get("training", {})
    split_share = float(training.get("validation_split", 0.0))
    split_seed = int(training.get("seed", run.seed))
    try:
        text = read_run_corpus(run, store=store_from_settings(settings), work_dir=run.work_dir)
    except (TrainingRunError, ArtifactStoreError) as error:
        raise EvaluationError(
            f"model version {version.pk} ({version.name}): its run's corpus cannot be read "
            f"({error}); restore the corpus file {run.corpus_file}"
        ) from None
    split = split_corpus(text.verses, validation_split=split_share, seed=split_seed)
    if not split.held_out_verses:
        distinct = len(set(text.verses))
        raise EvaluationError(
            f"model version {version.pk} ({version.name}) held no verse out: its corpus has "
            f"{distinct} distinct verse(s) and validation split {split_share:g}; train on a "
            "corpus of at least 2 verses with --validation-split above 0 to evaluate"
        )
    return HeldOut(
        train_verses=split.train_verses,
        held_out_verses=split.held_out_verses,
        validation_lines=split.validation_lines,
        corpus_sha256=text.sha256,
        validation_split=split_share,
        seed=split_seed,
    )


@dataclass(frozen=True)
class EvaluationModel:
    """A version loaded for evaluation: its network (held-out loss), the sampler the API would
    serve it with, its corpus line index (originality) and its corpus's line shape."""

    loaded: LoadedModel
    sampler: StreamSampler
    corpus_index: CorpusLineIndex | None
    line_shape: LineShape | None


def load_for_evaluation(version: ModelVersion) -> EvaluationModel:
    """Fetch and load the version's files, or raise EvaluationError saying what to restore."""
    from generator.ml.config import MLError
    from generator.ml.originality import CorpusLineIndex
    from generator.ml.weights import load_textgenrnn
    from generator.serving import ModelUnavailable, fetch_model_files, line_shape_of

    try:
        files, index_path = fetch_model_files(version)
        loaded = load_textgenrnn(files)
        corpus_index = CorpusLineIndex.load(index_path) if index_path else None
    except (ModelUnavailable, MLError) as error:
        raise EvaluationError(
            f"model version {version.pk} ({version.name}) cannot be loaded: {error}; "
            "restore its files in artifact storage or delete the version"
        ) from None
    return EvaluationModel(
        loaded=loaded,
        sampler=evaluation_sampler(files, loaded),
        corpus_index=corpus_index,
        line_shape=line_shape_of(version),
    )


def measure_loaded(
    version: ModelVersion,
    model: EvaluationModel,
    held_out: HeldOut,
    *,
    verses: int,
    first_seed: int,
    recipe: Recipe | None = None,
) -> Evaluation:
    """The measures of verses the loaded version writes by `recipe` (default: the API's)."""
    from generator.ml.config import MLError
    from generator.ml.evaluation.report import evaluate_model
    from generator.ml.evaluation.writing import DEFAULT_RECIPE

    try:
        return evaluate_model(
            model=model.loaded.model,
            vocabulary=model.loaded.vocabulary,
            config=model.loaded.config,
            sampler=model.sampler,
            train_verses=held_out.train_verses,
            held_out_verses=held_out.held_out_verses,
            validation_lines=held_out.validation_lines,
            corpus_index=model.corpus_index,
            verses=verses,
            first_seed=first_seed,
            recipe=recipe or DEFAULT_RECIPE,
            line_shape=model.line_shape,
        )
    except MLError as error:
        raise EvaluationError(
            f"model version {version.pk} ({version.name}) could not write its verses: {error}"
        ) from None


def evaluate_after_training(version: ModelVersion) -> str | None:
    """The hook a finished training run calls: evaluate the version it registered.

    With a broker the `evaluate_model` task goes to the training queue (a worker there has the
    model stack loaded); without one (Celery eager) it runs here, in the training process.
    Returns one line for the run's output, or None when EVALUATE_AFTER_TRAINING is off. A failed
    evaluation never fails the run: the line says what went wrong.
    """
    if not settings.EVALUATE_AFTER_TRAINING:
        return None
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        not_queued: list[str] = []

        def queue() -> None:
            try:
                with broker_reachable():
                    current_app.send_task(
                        EVALUATION_TASK, args=(version.pk,), queue=EVALUATION_QUEUE
                    )
            except BrokerUnreachable as error:
                logger.warning("evaluation of %s not queued: %s", version.name, error)
                not_queued.append(str(error))

        transaction.on_commit(queue)  # at once outside a transaction, as a run's end is
        if not_queued:
            return (
                f"evaluation of {version.name} not queued: {not_queued[0]}; run it with: "
                f"manage.py evaluate --model {version.pk}"
            )
        return f"evaluation of {version.name} queued on the {EVALUATION_QUEUE} queue"
    try:
        evaluation = evaluate_model_version(version_id=version.pk)
    except EvaluationError as error:
        logger.warning("evaluating %s failed: %s", version.name, error)
        return f"evaluation failed: {error}"
    except Exception as error:
        # A bug in the evaluation must not undo a finished run: log it whole, say so, go on.
        logger.exception("evaluating %s failed", version.name)
        return (
            f"evaluation failed ({type(error).__name__}, logged); retry it with: "
            f"manage.py evaluate --model {version.pk}"
        )
    from generator.ml.evaluation.report import TUNING_FIRST_SEED

    # The hook evaluates with the defaults: the reporting seeds.
    first, count = evaluation.settings["first_seed"], evaluation.settings["verses"]
    return (
        f"evaluated on the reporting seeds {first}-{first + count - 1}: "
        f"{summary_line(evaluation)} (tuning? judge on others: manage.py evaluate "
        f"--model {version.pk} --seed {TUNING_FIRST_SEED})"
    )


def summary_line(evaluation: ModelEvaluation) -> str:
    """The model's four summary measures beside the corpus's, in one line."""
    from generator.ml.evaluation.table import COLUMNS_BY_KEY, SUMMARY_KEYS

    model, corpus = evaluation.model_row, evaluation.corpus_row
    parts = []
    for key in SUMMARY_KEYS:
        column = COLUMNS_BY_KEY[key]
        value = column.format(model.get(key))
        if corpus.get(key) is not None:
            value += f" (corpus {column.format(corpus.get(key))})"
        parts.append(f"{column.label} {value}")
    return ", ".join(parts)


def evaluation_sampler(files: TextgenrnnFiles, loaded: LoadedModel) -> StreamSampler:
    """The sampler the API serves the model with (serving.engine_for: the exact engine
    settings.SERVING_ENGINE names, which also reports the tokens' log-probabilities the writer
    scores fluency with), else the Keras sampler. With XLA's compiled step (the default) the
    demo model's 24 verses were the same as NumPy's, word for word, in 15.2 against 19.1 s."""
    from generator.ml.engine import EngineError
    from generator.ml.sampling import Sampler
    from generator.serving import engine_for

    try:
        return engine_for(files)
    except EngineError:
        return Sampler(model=loaded.model, vocabulary=loaded.vocabulary, config=loaded.config)

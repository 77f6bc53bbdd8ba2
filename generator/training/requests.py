"""Asking for a training run: validate everything, then record one queued TrainingRun."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from generator.ml.config import (
    DEFAULT_BATCH_SIZES,
    DEFAULT_DROPOUT,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_OBJECTIVE,
    DEFAULT_PATIENCE,
    DEFAULT_SEED,
    DEFAULT_TEXTS,
    DEFAULT_VALIDATION_SPLIT,
    DEFAULT_WEIGHT_AVERAGE,
    LEARNING_RATE_RANGE,
    TEXT_KINDS,
    MLError,
    ModelConfig,
    Objective,
    TextKind,
    is_weight_average_choice,
)
from generator.ml.fit import TrainingConfig, check_trainable, is_whole_number
from generator.models import TrainingRun
from generator.training.corpus_text import CorpusTextError, read_corpus
from generator.training.errors import TrainingRequestError
from lyrics.corpus_size import corpus_distinct_chars, distinct_chars, small_corpus_warning
from lyrics.models import Corpus

# What a pretrained fine-tune cannot change: the shape of textgenrnn's pretrained network.
# (max_length can: the weights do not depend on the window length.)
PRETRAINED_SHAPE = ("rnn_layers", "rnn_size", "rnn_bidirectional", "dim_embeddings", "word_level")
MODEL_OPTIONS = (*PRETRAINED_SHAPE, "max_length", "max_words")


@dataclass(frozen=True)
class RunOptions:
    """What a new run trains, whichever door asks (`manage.py train`, the admin's form, the
    demo model): the network (textgenrnn's pretrained one, or a new one changed by
    `model_options`, see MODEL_OPTIONS) and how to train it. The defaults are the ML core's
    (generator/ml/config.py); `batch_size=None` is the objective's default batch;
    `patience=None` stops DEFAULT_PATIENCE epochs after the best where a validation split is
    held out (else never), and `patience=0` trains every epoch; `weight_average=None` keeps
    a moving average of the weights with DEFAULT_WEIGHT_AVERAGE's momentum as the result, and
    `weight_average=0` keeps the trained weights themselves."""

    from_pretrained: bool = True
    model_options: Mapping[str, Any] = field(default_factory=dict)
    epochs: int = DEFAULT_EPOCHS
    batch_size: int | None = None
    learning_rate: float = DEFAULT_LEARNING_RATE
    dropout: float = DEFAULT_DROPOUT
    validation_split: float = DEFAULT_VALIDATION_SPLIT
    seed: int = DEFAULT_SEED
    objective: Objective = DEFAULT_OBJECTIVE
    stride: int | None = None
    backprop_steps: int | None = None
    patience: int | None = None
    weight_average: float | None = None
    # What a training text is: a whole verse (a verse model) or one line (a line model,
    # textgenrnn's way); generator/training/corpus_text.py and generator/ml/verses.py.
    texts: TextKind = DEFAULT_TEXTS

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RunOptions:
        """Options from keyword values (a setting's dict); an unknown name is refused."""
        known = {option.name for option in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TrainingRequestError(f"unknown training option(s): {', '.join(unknown)}")
        return cls(**values)

    def replace(self, **changes: Any) -> RunOptions:
        return dataclasses.replace(self, **changes)

    @property
    def batch_size_or_default(self) -> int:
        return (
            self.batch_size if self.batch_size is not None else DEFAULT_BATCH_SIZES[self.objective]
        )

    @property
    def patience_or_default(self) -> int | None:
        """The run's patience, as TrainingConfig takes it (None: train every epoch)."""
        if self.patience is None:
            return DEFAULT_PATIENCE if self.validation_split > 0 else None
        return self.patience if self.patience != 0 else None

    @property
    def weight_average_or_default(self) -> float | None:
        """The run's weight-average momentum, as TrainingConfig takes it (None: no average)."""
        if self.weight_average is None:
            return DEFAULT_WEIGHT_AVERAGE
        return self.weight_average if self.weight_average != 0 else None


def model_config_for(*, from_pretrained: bool, options: Mapping[str, Any]) -> ModelConfig:
    """The network's hyperparameters: the pretrained ones, changed by `options` (None = keep)."""
    unknown = sorted(set(options) - set(MODEL_OPTIONS))
    if unknown:
        raise TrainingRequestError(f"unknown hyperparameter(s): {', '.join(unknown)}")
    chosen = {key: value for key, value in options.items() if value is not None}
    try:
        config = ModelConfig(**chosen)
    except MLError as exc:
        raise TrainingRequestError(str(exc)) from None
    if from_pretrained:
        pretrained = ModelConfig()
        changed = [
            key for key in PRETRAINED_SHAPE if getattr(config, key) != getattr(pretrained, key)
        ]
        if changed:
            flags = ", ".join(f"--{key.replace('_', '-')}" for key in changed)
            raise TrainingRequestError(
                f"{flags} cannot change the pretrained network (char level, 2 LSTM layers of "
                "128, 100-dim embeddings); add --new to train a network of another shape"
            )
    return config


def training_config_for(options: RunOptions, config: ModelConfig) -> dict[str, Any]:
    """The run's TrainingConfig, validated (and for the network of `config`), as stored in its
    hyperparameters."""
    patience = options.patience
    if patience is not None and (not is_whole_number(patience) or patience < 0):
        raise TrainingRequestError(
            f"patience must be 0 (train every epoch) or more epochs, got {patience!r}"
        )
    lowest, highest = LEARNING_RATE_RANGE
    if not lowest <= options.learning_rate <= highest:  # NaN too
        raise TrainingRequestError(
            f"learning rate must be from {lowest:g} to {highest:g} (textgenrnn's is "
            f"{DEFAULT_LEARNING_RATE:g}), got {options.learning_rate!r}"
        )
    average = options.weight_average
    if average is not None and not is_weight_average_choice(average):
        raise TrainingRequestError(
            f"weight average must be 0 (keep the trained weights) or a momentum below 1, "
            f"got {average!r}"
        )
    try:
        training = TrainingConfig(
            epochs=options.epochs,
            batch_size=options.batch_size_or_default,
            learning_rate=options.learning_rate,
            dropout=options.dropout,
            validation_split=options.validation_split,
            seed=options.seed,
            objective=options.objective,
            stride=options.stride,
            backprop_steps=options.backprop_steps,
            patience=options.patience_or_default,
            weight_average=options.weight_average_or_default,
        )
        check_trainable(config, training)
    except MLError as exc:
        raise TrainingRequestError(str(exc)) from None
    return training.to_dict()


def create_training_run(
    *,
    corpus_id: int | None = None,
    corpus_file: Path | str | None = None,
    options: RunOptions | None = None,
) -> TrainingRun:
    """A queued run trained with `options` (default: RunOptions()), or TrainingRequestError
    (one line) with nothing written.

    A second queued/running run on the same corpus is refused; the database's partial unique
    constraint settles a race between two requests that both passed the first check.
    """
    options = options or RunOptions()
    config = model_config_for(
        from_pretrained=options.from_pretrained, options=options.model_options
    )
    if options.texts not in TEXT_KINDS:
        raise TrainingRequestError(
            f"texts must be one of {', '.join(TEXT_KINDS)}, got {options.texts!r}"
        )
    if options.texts == "verses" and config.word_level:
        raise TrainingRequestError(
            "verse texts need a character-level model: drop --word-level or use --texts lines"
        )
    training = training_config_for(options, config)
    if options.stride is not None and options.stride > config.max_length:
        raise TrainingRequestError(
            f"stride must be at most max_length ({config.max_length}), got {options.stride}"
        )
    corpus, path = _corpus_and_path(corpus_id=corpus_id, corpus_file=corpus_file)
    try:
        text = read_corpus(path)
    except CorpusTextError as exc:
        raise TrainingRequestError(str(exc)) from None
    if not text.verses:
        what = f"corpus #{corpus.pk}" if corpus is not None else f"corpus file {path}"
        raise TrainingRequestError(f"{what} is empty: there is no text to train on")
    if corpus is not None:
        refuse_if_active(corpus)
    try:
        with transaction.atomic():
            return TrainingRun.objects.create(
                corpus=corpus,
                corpus_file=str(path),
                corpus_sha256=text.sha256,
                from_pretrained=options.from_pretrained,
                hyperparameters={
                    "model": config.to_dict(),
                    "training": training,
                    "texts": options.texts,
                },
                seed=options.seed,
                epochs=options.epochs,
            )
    except IntegrityError:
        # Another request created its run between our check and our insert.
        assert corpus is not None
        refuse_if_active(corpus)
        raise


def refuse_if_active(corpus: Corpus) -> None:
    active = (
        TrainingRun.objects.filter(corpus=corpus, status__in=TrainingRun.ACTIVE_STATUSES)
        .order_by("id")
        .first()
    )
    if active is not None and active.is_silent:
        raise TrainingRequestError(
            f"corpus #{corpus.pk} already has run #{active.pk}, running but silent (its machine "
            f"is gone?); resume it with: manage.py train --resume {active.pk}"
        )
    if active is not None:
        raise TrainingRequestError(
            f"corpus #{corpus.pk} already has run #{active.pk} {active.status}; wait for it to "
            "finish (or stop it) before starting another"
        )


def _corpus_and_path(
    *, corpus_id: int | None, corpus_file: Path | str | None
) -> tuple[Corpus | None, Path]:
    if (corpus_id is None) == (corpus_file is None):
        raise TrainingRequestError("give exactly one of a corpus id or a corpus file")
    if corpus_id is not None:
        corpus = Corpus.objects.filter(pk=corpus_id).first()
        if corpus is None:
            raise TrainingRequestError(f"corpus #{corpus_id} does not exist")
        return corpus, corpus.path
    assert corpus_file is not None
    return None, Path(corpus_file).expanduser().resolve()


def corpus_size_warning(run: TrainingRun) -> str | None:
    """One line when the run's corpus is too small to train anything good (lyrics.corpus_size)."""
    if run.corpus is not None:
        return small_corpus_warning(corpus_distinct_chars(run.corpus))
    try:
        verses = read_corpus(Path(run.corpus_file)).verses
    except CorpusTextError:
        return None  # the run itself says what is wrong with the file
    return small_corpus_warning(distinct_chars(verses))

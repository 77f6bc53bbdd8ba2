"""Asking for a training run: validate everything, then record one queued TrainingRun."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from generator.ml.config import (
    DEFAULT_OBJECTIVE,
    DEFAULT_TEXTS,
    TEXT_KINDS,
    MLError,
    ModelConfig,
    Objective,
    TextKind,
)
from generator.ml.training import DEFAULT_BATCH_SIZES, TrainingConfig
from generator.models import TrainingRun
from generator.training.corpus_text import CorpusTextError, read_corpus
from generator.training.errors import TrainingRequestError
from lyrics.corpus_size import corpus_distinct_chars, distinct_chars, small_corpus_warning
from lyrics.models import Corpus

# What a pretrained fine-tune cannot change: the shape of textgenrnn's pretrained network.
# (max_length can: the weights do not depend on the window length.)
PRETRAINED_SHAPE = ("rnn_layers", "rnn_size", "rnn_bidirectional", "dim_embeddings", "word_level")
MODEL_OPTIONS = (*PRETRAINED_SHAPE, "max_length", "max_words")


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


def training_config_for(**values: Any) -> TrainingConfig:
    try:
        return TrainingConfig(**values)
    except MLError as exc:
        raise TrainingRequestError(str(exc)) from None


def create_training_run(
    *,
    corpus_id: int | None = None,
    corpus_file: Path | str | None = None,
    from_pretrained: bool = True,
    model_options: Mapping[str, Any] | None = None,
    epochs: int = 25,
    batch_size: int | None = None,
    learning_rate: float = 4e-3,
    dropout: float = 0.0,
    validation_split: float = 0.1,
    seed: int = 0,
    objective: Objective = DEFAULT_OBJECTIVE,
    stride: int | None = None,
    patience: int | None = None,
    texts: TextKind = DEFAULT_TEXTS,
) -> TrainingRun:
    """A queued run, or TrainingRequestError (one line) with nothing written.

    `texts`: what a training text is, a whole verse (a verse model) or one line (a line
    model, textgenrnn's way); corpus_text.py and generator/ml/verses.py.

    A second queued/running run on the same corpus is refused; the database's partial unique
    constraint settles a race between two requests that both passed the first check.
    """
    config = model_config_for(from_pretrained=from_pretrained, options=model_options or {})
    if texts not in TEXT_KINDS:
        raise TrainingRequestError(f"texts must be one of {', '.join(TEXT_KINDS)}, got {texts!r}")
    if texts == "verses" and config.word_level:
        raise TrainingRequestError(
            "verse texts need a character-level model: drop --word-level or use --texts lines"
        )
    training = training_config_for(
        epochs=epochs,
        batch_size=batch_size if batch_size is not None else DEFAULT_BATCH_SIZES[objective],
        learning_rate=learning_rate,
        dropout=dropout,
        validation_split=validation_split,
        seed=seed,
        objective=objective,
        stride=stride,
        patience=patience,
    )
    if stride is not None and stride > config.max_length:
        raise TrainingRequestError(
            f"stride must be at most max_length ({config.max_length}), got {stride}"
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
                from_pretrained=from_pretrained,
                hyperparameters={
                    "model": config.to_dict(),
                    "training": training.to_dict(),
                    "texts": texts,
                },
                seed=seed,
                epochs=epochs,
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

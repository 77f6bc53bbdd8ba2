"""One evaluation: the measures of a model's generated verses beside its corpus's held-out ones.

`measure_verses` makes a row (a flat, JSON-ready dict keyed as `table.COLUMNS`) from any verses;
`evaluate_model` writes the verses with fixed seeds and returns the model row, the corpus row
(the held-out verses, measured the same way against the same training verses) and sample verses.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras

from generator.ml.config import ModelConfig
from generator.ml.evaluation.copying import copying
from generator.ml.evaluation.diversity import diversity
from generator.ml.evaluation.loss import HeldOutLoss, held_out_loss
from generator.ml.evaluation.nonwords import non_words
from generator.ml.evaluation.reference import CorpusReference
from generator.ml.evaluation.rhyme_density import rhyme_density
from generator.ml.evaluation.shape import WritingCounts, shape
from generator.ml.evaluation.words import Verse, verse_lines
from generator.ml.evaluation.writing import (
    DEFAULT_RECIPE,
    Recipe,
    verse_seeds,
    write_verses,
    writing_counts,
)
from generator.ml.lyrics_writer import LineShape
from generator.ml.originality import CorpusLineIndex
from generator.ml.streams import StreamSampler
from generator.ml.verses import held_out_texts
from generator.ml.vocab import Vocabulary

# Reported numbers use these seeds (docs/quality.md); tune on others, or the table flatters.
DEFAULT_VERSES = 24
DEFAULT_FIRST_SEED = 1000
TUNING_FIRST_SEED = 5000  # where tuning starts instead (bench/tune_sampling.py's default)
SAMPLE_VERSES = 3

Row = dict[str, Any]


@dataclass(frozen=True)
class Evaluation:
    model_row: Row
    corpus_row: Row
    samples: list[list[str]]  # the first SAMPLE_VERSES verses, as lines
    settings: dict[str, Any]
    seconds: float
    held_out_verses: int
    verses: list[list[str]] = field(repr=False, default_factory=list)


def measure_verses(
    verses: Sequence[Verse],
    reference: CorpusReference,
    *,
    writing: WritingCounts | None = None,
    loss: HeldOutLoss | None = None,
) -> Row:
    """Every measure of these verses, as one row."""
    rhymes = rhyme_density(verses)
    copied = copying(verses, reference)
    unknown = non_words(verses, reference)
    form = shape(verses, writing=writing)
    variety = diversity(verses)
    return {
        "verses": len(verses),
        "loss": loss.loss if loss else None,
        "bits_per_char": loss.bits_per_char if loss else None,
        "rhyme_density": rhymes.mean,
        "copied_line_share": copied.copied_line_share,
        "copied_ngram_share": copied.copied_ngram_share,
        "longest_copied_span": copied.longest_copied_span,
        "non_word_share": unknown.share,
        "non_word_examples": list(unknown.examples),
        "words_per_line": form.words_per_line,
        "words_per_line_p10": form.words_per_line_p10,
        "words_per_line_p90": form.words_per_line_p90,
        "short_line_share": form.short_line_share,
        "lines_per_verse": form.lines_per_verse,
        "dropped_line_share": form.dropped_line_share,
        "cut_off_line_share": form.cut_off_line_share,
        "distinct_2": variety.distinct_2,
        "repeated_line_share": variety.repeated_line_share,
    }


def corpus_row(held_out_verses: Sequence[str], reference: CorpusReference) -> Row:
    """The reference row: the held-out verses (texts) measured like generated ones."""
    return measure_verses([verse_lines(verse) for verse in held_out_verses], reference)


def evaluate_model(
    *,
    model: keras.Model,
    vocabulary: Vocabulary,
    config: ModelConfig,
    sampler: StreamSampler,
    train_verses: Sequence[str],
    held_out_verses: Sequence[str],
    validation_lines: Sequence[str],
    corpus_index: CorpusLineIndex | None,
    verses: int = DEFAULT_VERSES,
    first_seed: int = DEFAULT_FIRST_SEED,
    recipe: Recipe = DEFAULT_RECIPE,
    line_shape: LineShape | None = None,
) -> Evaluation:
    """Write `verses` verses by the recipe (seeds `first_seed`, `first_seed + 1`, ...) and
    measure them and the held-out verses against the training verses."""
    started = time.perf_counter()
    reference = CorpusReference.from_verses([verse_lines(verse) for verse in train_verses])
    held_out = held_out_texts(
        vocabulary, held_out_verses=held_out_verses, validation_lines=validation_lines
    )
    loss = held_out_loss(model, vocabulary=vocabulary, config=config, lines=held_out)
    generated = write_verses(
        sampler,
        recipe=recipe,
        seeds=verse_seeds(first_seed, verses),
        corpus_index=corpus_index,
        line_shape=line_shape,
    )
    written = [list(verse.lines) for verse in generated]
    model_row = measure_verses(written, reference, writing=writing_counts(generated), loss=loss)
    return Evaluation(
        model_row=model_row,
        corpus_row=corpus_row(held_out_verses, reference),
        samples=written[:SAMPLE_VERSES],
        settings={
            "verses": verses,
            "first_seed": first_seed,
            "recipe": recipe.name,
            "lines": recipe.lines,
            "temperatures": list(recipe.temperatures),
            "candidates": recipe.candidates,
            "rhyme_scheme": recipe.rhyme_scheme,
        },
        seconds=time.perf_counter() - started,
        held_out_verses=len(held_out_verses),
        verses=written,
    )

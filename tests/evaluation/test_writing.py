"""The verses an evaluation measures: the API's writer and defaults, fixed seeds, three recipes."""

from __future__ import annotations

from generator import limits
from generator.ml.evaluation.report import evaluate_model
from generator.ml.evaluation.table import COLUMNS, format_table
from generator.ml.evaluation.writing import (
    DEFAULT_RECIPE,
    ORIGINAL_RECIPE,
    PLAIN_RECIPE,
    verse_seeds,
    write_verses,
)
from generator.ml.lyrics_writer import DEFAULT_MAX_LINE_CHARS, write_lyrics
from generator.ml.originality import CorpusLineIndex
from generator.ml.sampling import Sampler
from tests.engine.conftest import TINY_CORPUS


def test_the_default_recipe_is_the_apis_request_with_eight_lines() -> None:
    assert DEFAULT_RECIPE.candidates == limits.CANDIDATES_DEFAULT
    assert DEFAULT_RECIPE.temperatures == limits.TEMPERATURE_DEFAULT
    assert DEFAULT_RECIPE.lines == 8
    assert DEFAULT_MAX_LINE_CHARS == limits.LINE_MAX_CHARS  # write_verses' line length limit
    assert ORIGINAL_RECIPE.lines == 5
    assert ORIGINAL_RECIPE.temperatures == (0.5, 0.6, 0.7)
    assert PLAIN_RECIPE.candidates == ORIGINAL_RECIPE.candidates == 1


def test_a_default_verse_is_what_the_writer_gives_the_api(random_sampler: Sampler) -> None:
    index = CorpusLineIndex.from_texts(TINY_CORPUS)
    [verse] = write_verses(random_sampler, recipe=DEFAULT_RECIPE, seeds=[1000], corpus_index=index)
    direct = write_lyrics(
        sampler=random_sampler,
        lines=8,
        temperature=limits.TEMPERATURE_DEFAULT,
        candidates=limits.CANDIDATES_DEFAULT,
        seed=1000,
        corpus_index=index,
        max_line_chars=limits.LINE_MAX_CHARS,
    )
    assert verse.lines == direct.lines
    assert verse.requested == 8
    assert verse.dropped == 8 - len(direct.lines)


def test_the_same_seeds_write_the_same_verses(random_sampler: Sampler) -> None:
    seeds = verse_seeds(1000, 3)
    assert seeds == [1000, 1001, 1002]
    for recipe in (DEFAULT_RECIPE, PLAIN_RECIPE, ORIGINAL_RECIPE):
        first = write_verses(random_sampler, recipe=recipe, seeds=seeds, corpus_index=None)
        again = write_verses(random_sampler, recipe=recipe, seeds=seeds, corpus_index=None)
        assert first == again
        assert len({verse.lines for verse in first}) == 3, recipe.name


def test_plain_recipes_account_for_every_line_asked_for(random_sampler: Sampler) -> None:
    for recipe in (PLAIN_RECIPE, ORIGINAL_RECIPE):
        for verse in write_verses(random_sampler, recipe=recipe, seeds=[5, 6], corpus_index=None):
            assert verse.requested == recipe.lines
            assert len(verse.lines) + verse.dropped == recipe.lines
            assert all(line.strip() for line in verse.lines)


def test_an_evaluation_puts_the_model_row_beside_the_corpus_row(memorised_sampler: Sampler) -> None:
    train, held_out = list(TINY_CORPUS[:1]), list(TINY_CORPUS[1:])
    evaluation = evaluate_model(
        model=memorised_sampler.model,
        vocabulary=memorised_sampler.vocabulary,
        config=memorised_sampler.config,
        sampler=memorised_sampler,
        train_verses=train,
        held_out_verses=held_out,
        validation_lines=held_out[0].split("\n"),
        corpus_index=CorpusLineIndex.from_texts(train),
        verses=4,
        first_seed=7,
    )
    assert evaluation.model_row["verses"] == 4
    assert evaluation.model_row["bits_per_char"] is not None
    assert evaluation.corpus_row["loss"] is None  # the corpus row is text, not a model
    assert evaluation.corpus_row["lines_per_verse"] == 4  # the held-out verse's 4 lines
    assert evaluation.samples == evaluation.verses[:3]
    assert evaluation.settings["first_seed"] == 7
    table = format_table([("corpus", evaluation.corpus_row), ("tiny", evaluation.model_row)])
    assert len(table.splitlines()) == 1 + len(COLUMNS)
    assert "bits/char" in table

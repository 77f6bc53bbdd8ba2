"""A verse model: the pretrained vocabulary grows a newline token, modelled on `<s>`, and the
grown network still loads everywhere a line model does (our engine, Keras, textgenrnn's trio)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generator.ml.engine import Engine
from generator.ml.verses import (
    NEWLINE,
    add_newline_token,
    grown_layer_weights,
    held_out_texts,
    is_verse_vocabulary,
    text_kind_of,
    verse_text,
    with_newline,
)
from generator.ml.vocab import Vocabulary, VocabularyError
from generator.ml.weights import LoadedModel, load_textgenrnn, save_textgenrnn
from tests.ml.conftest import SHAKESPEARE

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def verse_model(pretrained: LoadedModel) -> LoadedModel:
    model, vocabulary = add_newline_token(
        pretrained.model, pretrained.vocabulary, pretrained.config
    )
    return LoadedModel(model=model, vocabulary=vocabulary, config=pretrained.config)


def test_the_newline_is_appended_after_every_pretrained_token(pretrained: LoadedModel) -> None:
    line_vocabulary = pretrained.vocabulary
    grown = with_newline(line_vocabulary)

    assert not is_verse_vocabulary(line_vocabulary) and text_kind_of(line_vocabulary) == "lines"
    assert is_verse_vocabulary(grown) and text_kind_of(grown) == "verses"
    assert grown.token_to_id[NEWLINE] == line_vocabulary.size + 1 == 465
    assert grown.num_classes == line_vocabulary.num_classes + 1
    # Every pretrained id keeps its token, so every pretrained weight keeps its meaning.
    assert all(grown.token_to_id[token] == i for token, i in line_vocabulary.token_to_id.items())
    assert with_newline(grown) is grown


def test_a_word_level_vocabulary_cannot_read_verse_texts() -> None:
    words = Vocabulary.build(["one two", "three four"], word_level=True)
    with pytest.raises(VocabularyError, match="character-level"):
        with_newline(words)


def test_the_newline_starts_as_a_copy_of_the_end_tokens_rows(
    pretrained: LoadedModel, verse_model: LoadedModel
) -> None:
    end = pretrained.vocabulary.end_id
    newline = verse_model.vocabulary.token_to_id[NEWLINE]
    (old_table,) = pretrained.model.get_layer("embedding").get_weights()
    (table,) = verse_model.model.get_layer("embedding").get_weights()
    old_kernel, old_bias = pretrained.model.get_layer("output").get_weights()
    kernel, bias = verse_model.model.get_layer("output").get_weights()

    assert table.shape == (466, 100) and kernel.shape == (128 * 2 + 100, 466)
    assert bias.shape == (466,)
    np.testing.assert_array_equal(table[:465], old_table)
    np.testing.assert_array_equal(table[newline], old_table[end])
    np.testing.assert_array_equal(kernel[:, :465], old_kernel)
    np.testing.assert_array_equal(kernel[:, newline], old_kernel[:, end])
    assert bias[newline] == old_bias[end]
    for name in ("rnn_1", "rnn_2", "attention"):
        for grown, old in zip(
            verse_model.model.get_layer(name).get_weights(),
            pretrained.model.get_layer(name).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(grown, old)


def test_at_first_the_newline_shares_the_line_ends_probability_with_the_end_token(
    pretrained: LoadedModel, verse_model: LoadedModel
) -> None:
    end = pretrained.vocabulary.end_id
    newline = verse_model.vocabulary.token_to_id[NEWLINE]
    ids = [end, *pretrained.vocabulary.encode("Now is the winter of our discontent")]
    window = np.zeros((1, 40), dtype=np.int32)
    window[0, -len(ids) :] = ids
    before = pretrained.model.predict(window, verbose=0)[0]
    after = verse_model.model.predict(window, verbose=0)[0]

    assert after[newline] == pytest.approx(after[end], rel=1e-6)
    # p / (1 + p): the end token's old share, now split between the two boundaries.
    assert after[end] + after[newline] == pytest.approx(
        2 * before[end] / (1 + before[end]), rel=1e-4
    )


def test_other_layers_pass_through_unchanged() -> None:
    arrays = [np.ones((3, 2)), np.zeros(2)]
    passed = grown_layer_weights("rnn_1", arrays, end_id=1)
    assert [a.shape for a in passed] == [(3, 2), (2,)]
    assert all(np.array_equal(a, b) for a, b in zip(passed, arrays, strict=True))


def test_the_verse_model_loads_in_the_engine_and_matches_the_keras_window_rerun(
    verse_model: LoadedModel, tmp_path: Path
) -> None:
    files = save_textgenrnn(
        verse_model.model,
        vocabulary=verse_model.vocabulary,
        config=verse_model.config,
        directory=tmp_path,
        name="verses",
    )
    reloaded = load_textgenrnn(files)  # the exported trio, in textgenrnn's form
    engine = Engine.from_files(files)
    assert reloaded.vocabulary == verse_model.vocabulary

    vocabulary = verse_model.vocabulary
    text = SHAKESPEARE.read_text(encoding="utf-8")[:2500]  # lines and their newlines
    ids = [vocabulary.end_id] + [vocabulary.token_to_id[c] for c in text if c in vocabulary]
    assert ids.count(vocabulary.token_to_id[NEWLINE]) > 20
    contexts = [ids[:end] for end in range(1, len(ids), 7)]
    windows = np.zeros((len(contexts), 40), dtype=np.int32)
    for row, context in enumerate(contexts):
        tail = context[-40:]
        windows[row, 40 - len(tail) :] = tail
    reference = reloaded.model.predict(windows, verbose=0)

    assert np.abs(engine.next_probabilities(contexts) - reference).max() < TOLERANCE


def test_held_out_loss_reads_whole_verses_for_a_verse_model_and_lines_for_a_line_model(
    pretrained: LoadedModel, verse_model: LoadedModel
) -> None:
    verses = ["First line here  \nSecond line there\n\n", "Only line"]
    lines = ["First line here", "Second line there", "Only line"]
    assert held_out_texts(
        verse_model.vocabulary, held_out_verses=verses, validation_lines=lines
    ) == ["First line here\nSecond line there", "Only line"]
    assert (
        held_out_texts(pretrained.vocabulary, held_out_verses=verses, validation_lines=lines)
        == lines
    )
    assert verse_text(" \nA\n\nB  \n") == "A\nB"

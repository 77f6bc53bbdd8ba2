"""Hyperparameters and vocabulary: textgenrnn's files in, one-line errors for bad values."""

from __future__ import annotations

import pytest

from generator.ml.config import ModelConfig, ModelConfigError
from generator.ml.vocab import (
    END_TOKEN,
    OutOfVocabularyError,
    Vocabulary,
    VocabularyError,
    detokenize_words,
    tokenize_words,
)


def test_it_refuses_a_max_length_below_one() -> None:
    with pytest.raises(ModelConfigError) as error:
        ModelConfig(max_length=0)
    assert str(error.value) == "max_length must be at least 1, got 0"


def test_it_refuses_a_non_integer_layer_count() -> None:
    with pytest.raises(ModelConfigError, match="rnn_layers must be an integer"):
        ModelConfig.from_textgenrnn_json({"rnn_layers": "2"})


def test_config_round_trips_textgenrnns_json() -> None:
    values = {
        "rnn_layers": 3,
        "rnn_size": 64,
        "rnn_bidirectional": True,
        "max_length": 30,
        "max_words": 5000,
        "dim_embeddings": 50,
        "word_level": True,
        "single_text": False,
        "name": "lyrics",
    }
    config = ModelConfig.from_textgenrnn_json(values)
    assert config.to_textgenrnn_json() == values
    assert config.concat_width == 50 + 3 * 64 * 2


def test_pretrained_vocabulary_encodes_and_decodes(pretrained) -> None:  # type: ignore[no-untyped-def]
    vocab = pretrained.vocabulary
    ids = vocab.encode("Yo, it's me")
    assert 0 not in ids
    assert vocab.decode([vocab.end_id, *ids, vocab.end_id]) == "Yo, it's me"


def test_unknown_characters_are_reported_not_padded(pretrained) -> None:  # type: ignore[no-untyped-def]
    vocab = pretrained.vocabulary
    assert vocab.unknown_tokens("line one\nline two ☃☃") == ["\n", "☃"]
    with pytest.raises(OutOfVocabularyError) as error:
        vocab.encode("snow ☃")
    assert error.value.tokens == ["☃"]
    assert "\n" not in str(error.value)


def test_word_level_tokenisation_is_textgenrnns() -> None:
    assert tokenize_words("Hello, World!\nBye") == ["hello", ",", "world", "!", "\n", "bye"]
    assert detokenize_words(["hello", ",", "world", "!"]) == "hello, world!"


def test_build_ranks_tokens_by_frequency_and_appends_the_end_token() -> None:
    vocab = Vocabulary.build(["abb", "cbb"])
    assert vocab.token_to_id == {"b": 1, "a": 2, "c": 3, END_TOKEN: 4}


def test_it_refuses_a_vocabulary_with_gaps() -> None:
    with pytest.raises(VocabularyError, match=r"indices must be 1\.\.2"):
        Vocabulary(token_to_id={"a": 1, "b": 3})

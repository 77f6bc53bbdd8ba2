"""Training windows are textgenrnn's, and validation holds out whole verses."""

from __future__ import annotations

import numpy as np
import pytest

from generator.ml.config import ModelConfig
from generator.ml.dataset import (
    DatasetError,
    build_dataset,
    make_windows,
    split_texts,
)
from generator.ml.vocab import END_TOKEN, Vocabulary

VOCAB = Vocabulary(token_to_id={"a": 1, "b": 2, "c": 3, " ": 4, END_TOKEN: 5})


def textgenrnn_windows(
    texts: list[str], vocab: Vocabulary, max_length: int
) -> tuple[list[list[int]], list[int]]:
    """textgenrnn's generate_sequences_from_texts, one window at a time (char level)."""
    inputs, targets = [], []
    for text in texts:
        tokens = [END_TOKEN, *text, END_TOKEN]
        for end_index in range(len(text) + 1):
            if end_index > max_length:
                x = tokens[end_index - max_length : end_index + 1]
            else:
                x = tokens[0 : end_index + 1]
            y = tokens[end_index + 1]
            if y not in vocab:
                continue
            ids = [vocab.token_to_id[t] for t in x if t in vocab][-max_length:]
            inputs.append([0] * (max_length - len(ids)) + ids)
            targets.append(vocab.token_to_id[y])
    return inputs, targets


@pytest.mark.parametrize("max_length", [1, 3, 6])
def test_it_makes_textgenrnns_windows_including_unknown_characters(max_length: int) -> None:
    texts = ["abc ab", "c", "ab?c a!!b cc", "?", "aaaa bbbb cccc"]
    config = ModelConfig(max_length=max_length)
    windows = make_windows(texts, vocabulary=VOCAB, config=config)
    expected_inputs, expected_targets = textgenrnn_windows(texts, VOCAB, max_length)
    assert windows.inputs.tolist() == expected_inputs
    assert windows.targets.tolist() == expected_targets
    assert windows.inputs.dtype == np.int32
    assert dict(windows.unknown_tokens) == {"?": 2, "!": 2}


def test_windows_never_see_the_previous_text() -> None:
    windows = make_windows(["aaa", "bbb"], vocabulary=VOCAB, config=ModelConfig(max_length=8))
    second_text_rows = windows.inputs[4:]
    assert not (second_text_rows == 1).any()


def test_single_text_uses_only_full_windows() -> None:
    config = ModelConfig(max_length=3, single_text=True)
    windows = make_windows(["abcabcab"], vocabulary=VOCAB, config=config)
    # textgenrnn: end indices max_length .. n-2, input text[e - L : e + 1] cut to its last L
    # tokens, target text[e + 1]; the first L indices (padded) and the last two are dropped.
    assert windows.inputs.tolist() == [[2, 3, 1], [3, 1, 2], [1, 2, 3], [2, 3, 1]]
    assert windows.targets.tolist() == [2, 3, 1, 2]


def test_word_level_windows_use_textgenrnns_tokenisation() -> None:
    vocab = Vocabulary(token_to_id={"hello": 1, ",": 2, "world": 3, END_TOKEN: 4}, word_level=True)
    config = ModelConfig(max_length=2, word_level=True)
    windows = make_windows(["Hello, World"], vocabulary=vocab, config=config)
    assert windows.inputs.tolist() == [[0, 4], [4, 1], [1, 2], [2, 3]]
    assert windows.targets.tolist() == [1, 2, 3, 4]


def test_validation_holds_out_whole_texts() -> None:
    texts = [f"verse {i} " + "ab" * (i % 5 + 1) for i in range(40)]
    train, validation = split_texts(texts, validation_split=0.2, seed=3)
    assert set(train).isdisjoint(validation)
    assert sorted(train + validation) == sorted(texts)
    held_out = sum(len(t) + 1 for t in validation) / sum(len(t) + 1 for t in texts)
    assert 0.15 <= held_out <= 0.3
    assert split_texts(texts, validation_split=0.2, seed=3) == (train, validation)


def test_it_refuses_an_empty_corpus() -> None:
    with pytest.raises(DatasetError, match="no text to train on"):
        build_dataset(["", ""], vocabulary=VOCAB, config=ModelConfig())


def test_it_refuses_a_validation_split_of_one() -> None:
    with pytest.raises(DatasetError, match=r"validation split must be in \[0, 1\)"):
        split_texts(["a", "b"], validation_split=1.0, seed=0)

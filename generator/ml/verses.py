"""Verse models: a newline token in the vocabulary, so that a training text can be a whole verse.

A *line model* is trained one line per text (textgenrnn's way with a lyrics file): its
vocabulary has no newline, `<s>` ends every line, and it never sees one line follow another.
A *verse model* is trained one verse per text, lines joined by `NEWLINE`: it learns where a line
ends and how the next one follows from it (its rhyme, its length). The vocabulary says which a
model is (`is_verse_vocabulary`), and so do the writer (generator/ml/lyrics_writer.py) and the
training texts (generator/training/corpus_text.py).

textgenrnn's pretrained vocabulary (464 tokens) has no newline. `with_newline` appends it as id
N + 1, after `<s>`: every earlier id keeps its meaning, so every pretrained weight keeps its
place, and the network grows by one class. `add_newline_token` grows the weights to match: one
more embedding row, one more output column and bias entry, each a copy of `<s>`'s. Why `<s>`'s:
in the pretrained network `<s>` *is* the line boundary, in both its roles: as an input it is
what a line starts after (a capital, a first word follow it), as an output it is predicted where
a line is complete. A newline plays exactly these two roles in a verse text. Copying `<s>`'s rows
starts the newline as a line boundary: the model writes a fresh line after it and predicts it
where lines ended, sharing that probability with `<s>` at first (equal logits halve it: log 2
nats at a line's end, which the first epoch of fine-tuning removes). A punctuation row (`,` or
`.`) would start it as "the sentence goes on", and a random row as noise the first epoch would
spend itself unlearning. Measured on the demo corpus (docs/quality.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from generator.ml.config import ModelConfig, TextKind
from generator.ml.vocab import END_TOKEN, Vocabulary, VocabularyError

if TYPE_CHECKING:  # Keras is imported only where a network is built: the admin reads this too.
    import keras

    from generator.ml.weights import LoadedModel

NEWLINE = "\n"


def is_verse_vocabulary(vocabulary: Vocabulary) -> bool:
    """Whether a model with this vocabulary was trained on verses (it knows a newline)."""
    return NEWLINE in vocabulary


def text_kind_of(vocabulary: Vocabulary) -> TextKind:
    """The training texts this vocabulary's model reads: whole verses or single lines."""
    return "verses" if is_verse_vocabulary(vocabulary) else "lines"


def verse_text(verse: str) -> str:
    """A verse as one training text: its non-blank lines, right-stripped, joined by newlines
    (the same lines `corpus_text.lines_of` gives a line model)."""
    return NEWLINE.join(line.rstrip() for line in verse.split(NEWLINE) if line.strip())


def verse_texts(verses: Sequence[str]) -> list[str]:
    """Each verse as one training text (`verse_text`); verses without a line are left out."""
    return [text for verse in verses if (text := verse_text(verse))]


def held_out_texts(
    vocabulary: Vocabulary, *, held_out_verses: Sequence[str], validation_lines: Sequence[str]
) -> list[str]:
    """What a model's held-out loss is measured on: the held-out verses whole for a verse
    model, their lines (less those a training verse shares) for a line model. Either way each
    line's characters and its end (a newline, `<s>` after a verse's or a line's last) are the
    targets, so the two losses are per character of the same verses (docs/quality.md)."""
    if is_verse_vocabulary(vocabulary):
        return verse_texts(held_out_verses)
    return list(validation_lines)


def with_newline(vocabulary: Vocabulary) -> Vocabulary:
    """The vocabulary with `NEWLINE` appended as the next id (unchanged if it has one)."""
    if is_verse_vocabulary(vocabulary):
        return vocabulary
    if vocabulary.word_level:
        raise VocabularyError("verse texts need a character-level model; this one is word level")
    if END_TOKEN not in vocabulary:
        raise VocabularyError(f"the vocabulary has no {END_TOKEN!r} to model the newline on")
    return Vocabulary(
        token_to_id={**vocabulary.token_to_id, NEWLINE: vocabulary.size + 1},
        word_level=vocabulary.word_level,
    )


def grown_layer_weights(
    layer_name: str, arrays: Sequence[np.ndarray], *, end_id: int
) -> list[np.ndarray]:
    """A layer's arrays for one more class, the new one a copy of `end_id`'s (module docstring).

    Only the embedding (a row per class) and the output layer (a kernel column and a bias entry
    per class) depend on the classes; any other layer's arrays are returned as they are.
    """
    if layer_name == "embedding":
        (table,) = arrays
        return [np.concatenate([table, table[end_id : end_id + 1]], axis=0)]
    if layer_name == "output":
        kernel, bias = arrays
        return [
            np.concatenate([kernel, kernel[:, end_id : end_id + 1]], axis=1),
            np.concatenate([bias, bias[end_id : end_id + 1]]),
        ]
    return [np.asarray(array) for array in arrays]


def add_newline_token(
    model: keras.Model,
    vocabulary: Vocabulary,
    config: ModelConfig,
    *,
    dropout: float = 0.0,
    seed: int | None = None,
    unroll: bool = False,
) -> tuple[keras.Model, Vocabulary]:
    """A verse model's network and vocabulary from a line model's (module docstring).

    The new network is built by `network.build_model` with the given dropout, seed and
    unrolling (as the line model was) and holds the line model's weights, grown by one class.
    """
    from generator.ml.network import build_model

    if is_verse_vocabulary(vocabulary):
        return model, vocabulary
    grown = with_newline(vocabulary)
    rebuilt = build_model(config, grown.num_classes, dropout=dropout, seed=seed, unroll=unroll)
    by_name = {layer.name: layer for layer in model.layers}
    for layer in rebuilt.layers:
        source = by_name.get(layer.name)
        weights = source.get_weights() if source is not None else []
        if weights:
            layer.set_weights(grown_layer_weights(layer.name, weights, end_id=vocabulary.end_id))
    return rebuilt, grown


def loaded_for_texts(
    loaded: LoadedModel,
    kind: TextKind,
    *,
    dropout: float = 0.0,
    seed: int | None = None,
    unroll: bool = False,
) -> LoadedModel:
    """A loaded (pretrained) line model made ready for `kind` texts: grown by the newline
    token for verses (`add_newline_token`), as it is for lines."""
    from generator.ml.weights import LoadedModel

    if kind == "lines":
        return loaded
    model, vocabulary = add_newline_token(
        loaded.model, loaded.vocabulary, loaded.config, dropout=dropout, seed=seed, unroll=unroll
    )
    return LoadedModel(model=model, vocabulary=vocabulary, config=loaded.config)

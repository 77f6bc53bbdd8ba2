"""textgenrnn's training windows, built with numpy, and a validation split by held-out texts.

For each text (a verse) textgenrnn trains on every next token: the text is wrapped as
`<s> t1 .. tn <s>` and for each target `t1 .. tn, <s>` the input is the up-to-`max_length`
tokens before it, left-padded with 0. Tokens missing from the vocabulary are dropped from
inputs and windows whose target is missing are skipped, as textgenrnn's Keras Tokenizer did;
`Windows.unknown_tokens` counts them so callers can report what was left out.
With `single_text` the text is not wrapped and only windows with a full context are used.

`make_sequence_windows` makes the windows of the all-positions objective instead, in the same
stream (each text wrapped in `<s>` and preceded by zeros): window i of a text ends at its token
i * stride (the last one at the text's end), and each of its positions predicts the next token.
Its last `stride` positions hold the targets no earlier window taught; the positions before
them are context only (target 0, which the loss ignores: 0 is padding, never a real target).
So every target of textgenrnn's windows is taught exactly once per epoch, and a text's first
window is left-padded as textgenrnn's windows are. A window is `sequence_window` long: half a
stride longer than textgenrnn's, so the contexts its targets read are centred on textgenrnn's
`max_length` (36–45 tokens at stride 10, 40 for the target at position `max_length`, which is
exactly textgenrnn's window). Tokens missing from the vocabulary are dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from generator.ml.config import MLError, ModelConfig
from generator.ml.vocab import Vocabulary

_UNKNOWN = -1


class DatasetError(MLError):
    """The corpus cannot make training windows (empty, too small, unreadable)."""


@dataclass(frozen=True)
class Windows:
    """Training examples: `inputs` (n, max_length) int32 class ids, `targets` (n,) int32; for
    the all-positions objective both are (n, sequence_window) (target 0: no target there)."""

    inputs: np.ndarray
    targets: np.ndarray
    texts: int = 0
    unknown_tokens: Counter[str] = field(default_factory=Counter)

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    @property
    def target_count(self) -> int:
        """Next tokens these windows teach (padding positions of sequence windows excluded)."""
        if self.targets.ndim == 1:
            return len(self)
        return int(np.count_nonzero(self.targets))


@dataclass(frozen=True)
class DatasetSplit:
    train: Windows
    validation: Windows


def _encode_with_unknowns(
    tokens: Sequence[str], vocabulary: Vocabulary, unknown: Counter[str]
) -> np.ndarray:
    lookup = vocabulary.token_to_id
    ids = np.fromiter((lookup.get(t, _UNKNOWN) for t in tokens), dtype=np.int32, count=len(tokens))
    if (ids == _UNKNOWN).any():
        unknown.update(t for t in tokens if t not in lookup)
    return ids


def _encode_chars(text: str, vocabulary: Vocabulary, unknown: Counter[str]) -> np.ndarray:
    # Map each distinct code point once instead of every character through a dict.
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    distinct, inverse = np.unique(codes, return_inverse=True)
    lookup = vocabulary.token_to_id
    table = np.array([lookup.get(chr(c), _UNKNOWN) for c in distinct], dtype=np.int32)
    ids = table[inverse] if len(codes) else np.zeros(0, dtype=np.int32)
    missing = distinct[table == _UNKNOWN]
    if len(missing):
        counts = np.bincount(inverse, minlength=len(distinct))[table == _UNKNOWN]
        unknown.update({chr(c): int(n) for c, n in zip(missing, counts, strict=True)})
    return ids


def _encode_text(
    text: str, *, vocabulary: Vocabulary, config: ModelConfig, unknown: Counter[str]
) -> np.ndarray:
    """A text's token ids (characters or words, as the model reads them); tokens the vocabulary
    lacks are counted in `unknown` and encoded as _UNKNOWN."""
    if config.word_level:
        return _encode_with_unknowns(vocabulary.tokenize(text), vocabulary, unknown)
    return _encode_chars(text, vocabulary, unknown)


def known_token_ids(
    text: str,
    *,
    vocabulary: Vocabulary,
    config: ModelConfig,
    unknown: Counter[str] | None = None,
) -> np.ndarray:
    """A text's token ids with the tokens the vocabulary lacks left out (counted in `unknown`
    when given): the sequence an all-positions window, or a scorer reading the whole text, sees."""
    counted = Counter() if unknown is None else unknown
    ids = _encode_text(text, vocabulary=vocabulary, config=config, unknown=counted)
    known: np.ndarray = ids[ids != _UNKNOWN]
    return known


def make_windows(texts: Sequence[str], *, vocabulary: Vocabulary, config: ModelConfig) -> Windows:
    """Every training window of `texts`, textgenrnn's way (see the module docstring)."""
    length = config.max_length
    unknown: Counter[str] = Counter()
    pieces: list[np.ndarray] = []
    target_positions: list[np.ndarray] = []
    text_starts: list[int] = []
    offset = 0
    end = np.array([vocabulary.end_id], dtype=np.int32) if not config.single_text else None
    for text in texts:
        ids = _encode_text(text, vocabulary=vocabulary, config=config, unknown=unknown)
        if end is not None:
            sequence = np.concatenate([end, ids, end])
            first_target, stop = 1, len(sequence)
        else:
            sequence = ids
            # textgenrnn drops the windows that would use padding and its two last indices.
            first_target, stop = length + 1, len(sequence)
        if stop <= first_target:
            continue
        # `length` zeros before each text: windows near its start read them as left padding
        # and never see the previous text.
        pieces.append(np.zeros(length, dtype=np.int32))
        pieces.append(sequence)
        start = offset + length
        target_positions.append(np.arange(start + first_target, start + stop, dtype=np.int64))
        text_starts.append(start)
        offset = start + len(sequence)
    if not pieces:
        return Windows(
            inputs=np.zeros((0, length), dtype=np.int32),
            targets=np.zeros(0, dtype=np.int32),
            texts=0,
            unknown_tokens=unknown,
        )
    stream = np.concatenate(pieces)
    positions = np.concatenate(target_positions)
    targets = stream[positions]
    known = targets != _UNKNOWN
    positions, targets = positions[known], targets[known]
    # Window for the target at p: the `length` tokens before it.
    views = np.lib.stride_tricks.sliding_window_view(stream, length)
    inputs = np.ascontiguousarray(views[positions - length])
    rows_with_unknown = np.flatnonzero((inputs == _UNKNOWN).any(axis=1))
    if len(rows_with_unknown):
        starts = np.array(text_starts, dtype=np.int64)
        for row in rows_with_unknown:
            target = int(positions[row])
            text_start = int(starts[np.searchsorted(starts, target, side="right") - 1])
            inputs[row] = _window_without_unknowns(stream[text_start:target], length)
    return Windows(
        inputs=inputs,
        targets=targets.astype(np.int32),
        texts=len(target_positions),
        unknown_tokens=unknown,
    )


def sequence_window(config: ModelConfig, stride: int) -> int:
    """The length of an all-positions window of `stride`: `max_length + stride // 2`.

    Its targets sit at its last `stride` positions, and position t reads t tokens. In windows of
    `max_length` those contexts were all shorter than the `max_length` every prediction reads
    when sampling and on the yardstick (31–40 at stride 10), and textgenrnn's pretrained network
    does worse the shorter its window (held-out loss 2.13 at 40 tokens, 2.23 at 31, 5.7 at 25;
    2.16 at 45): half a stride more centres them on `max_length`. Fine-tuned at stride 10 for
    three epochs, the held-out loss ended 0.007-0.039 lower on three tuning corpora
    (docs/benchmarks.md, *Centred windows*), for 12% more LSTM steps a window.
    """
    return config.max_length + stride // 2


def make_sequence_windows(
    texts: Sequence[str], *, vocabulary: Vocabulary, config: ModelConfig, stride: int
) -> Windows:
    """The all-positions windows of `texts`, `sequence_window` long (module docstring)."""
    if (
        not isinstance(stride, int)
        or isinstance(stride, bool)
        or not 1 <= stride <= config.max_length
    ):
        raise DatasetError(
            f"stride must be between 1 and max_length ({config.max_length}), got {stride}"
        )
    length = sequence_window(config, stride)
    unknown: Counter[str] = Counter()
    pieces: list[np.ndarray] = []
    window_ends: list[np.ndarray] = []
    new_targets: list[np.ndarray] = []  # per window: targets no earlier window taught
    first_tokens: list[int] = []
    offset = 0
    end = np.array([vocabulary.end_id], dtype=np.int32) if not config.single_text else None
    for text in texts:
        ids = known_token_ids(text, vocabulary=vocabulary, config=config, unknown=unknown)
        sequence = np.concatenate([end, ids, end]) if end is not None else ids
        if len(sequence) < 2:
            continue
        # `length` zeros before each text: its windows read them as left padding. The first
        # token (`<s>`, or a single text's first token) is input only: its target slot is 0.
        start = offset + length
        targets_of_text = len(sequence) - 1
        last = start + targets_of_text  # stream index of the text's last token
        # Window i ends at the text's token i * stride (the last one at its end).
        ends = np.append(np.arange(start + stride, last, stride, dtype=np.int64), last)
        pieces.append(np.zeros(length, dtype=np.int32))
        pieces.append(sequence.astype(np.int32))
        window_ends.append(ends)
        new_targets.append(np.diff(ends, prepend=start))
        first_tokens.append(start)
        offset = start + len(sequence)
    if not pieces:
        return Windows(
            inputs=np.zeros((0, length), dtype=np.int32),
            targets=np.zeros((0, length), dtype=np.int32),
            texts=0,
            unknown_tokens=unknown,
        )
    stream = np.concatenate(pieces)
    target_stream = stream.copy()
    target_stream[np.array(first_tokens, dtype=np.int64)] = 0
    ends = np.concatenate(window_ends)
    views = np.lib.stride_tricks.sliding_window_view(stream, length)
    target_views = np.lib.stride_tricks.sliding_window_view(target_stream, length)
    # The window whose last target is at q: inputs stream[q-length : q], targets [q-length+1 : q+1].
    inputs = np.ascontiguousarray(views[ends - length])
    targets = np.array(target_views[ends - length + 1])
    # Positions before a window's new targets are context only (an earlier window taught them).
    context_only = np.arange(length)[None, :] < (length - np.concatenate(new_targets))[:, None]
    targets[context_only] = 0
    return Windows(inputs=inputs, targets=targets, texts=len(first_tokens), unknown_tokens=unknown)


def _window_without_unknowns(before_target: np.ndarray, length: int) -> np.ndarray:
    # textgenrnn sliced up to length + 1 tokens of the text, its Tokenizer dropped the
    # unknown ones, and pad_sequences kept the last `length` (left-padding the rest).
    context = before_target[-(length + 1) :]
    kept = context[context != _UNKNOWN][-length:]
    window = np.zeros(length, dtype=np.int32)
    if len(kept):
        window[-len(kept) :] = kept
    return window


def split_texts(
    texts: Sequence[str], *, validation_split: float, seed: int
) -> tuple[list[str], list[str]]:
    """Hold out whole texts (verses) for validation, about `validation_split` of the tokens.

    Windows of one verse overlap heavily, so a random split of windows would leak the
    validation set into training; whole verses do not.
    """
    if not 0.0 <= validation_split < 1.0:
        raise DatasetError(f"validation split must be in [0, 1), got {validation_split}")
    if validation_split == 0.0 or len(texts) < 2:
        return list(texts), []
    order = np.random.default_rng(seed).permutation(len(texts))
    sizes = np.array([len(texts[i]) + 1 for i in order], dtype=np.int64)
    wanted = validation_split * sizes.sum()
    held_out = int(np.searchsorted(np.cumsum(sizes), wanted) + 1)
    held_out = min(max(held_out, 1), len(texts) - 1)
    chosen = set(order[:held_out].tolist())
    train = [t for i, t in enumerate(texts) if i not in chosen]
    validation = [t for i, t in enumerate(texts) if i in chosen]
    return train, validation


def build_dataset(
    texts: Sequence[str],
    *,
    vocabulary: Vocabulary,
    config: ModelConfig,
    validation_split: float = 0.1,
    seed: int = 0,
    sequence_stride: int | None = None,
) -> DatasetSplit:
    """Training and validation windows, validation from held-out texts.

    With `sequence_stride` the training windows are all-positions windows with that stride;
    validation windows are always textgenrnn's (last position), so that losses compare.
    """
    non_empty = [t for t in texts if t]
    if not non_empty:
        raise DatasetError("the corpus has no text to train on")
    train_texts, validation_texts = split_texts(
        non_empty, validation_split=validation_split, seed=seed
    )
    return windows_of_split(
        train_texts,
        validation_texts,
        vocabulary=vocabulary,
        config=config,
        sequence_stride=sequence_stride,
    )


def windows_of_split(
    train_texts: Sequence[str],
    validation_texts: Sequence[str],
    *,
    vocabulary: Vocabulary,
    config: ModelConfig,
    sequence_stride: int | None = None,
) -> DatasetSplit:
    """Training and validation windows of texts already split (as `build_dataset` splits them,
    or by whole verses: generator/training/corpus_text.py); see `build_dataset`."""
    if sequence_stride is None:
        train = make_windows(train_texts, vocabulary=vocabulary, config=config)
    else:
        train = make_sequence_windows(
            train_texts, vocabulary=vocabulary, config=config, stride=sequence_stride
        )
    if len(train) == 0:
        raise DatasetError("the corpus makes no training windows (texts too short?)")
    validation = make_windows(validation_texts, vocabulary=vocabulary, config=config)
    return DatasetSplit(train=train, validation=validation)

"""Token <-> class-index mapping with textgenrnn's tokenisation (character or word level).

Index 0 is padding and never a token; textgenrnn's vocab json maps tokens to 1..N, and the
network has N + 1 output classes. The end-of-text token `<s>` wraps every text in training.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.ml.config import MLError

END_TOKEN = "<s>"
PADDING_ID = 0

# textgenrnn's training-time word tokenisation (textgenrnn.train_on_texts): put spaces around
# punctuation, collapse runs of spaces, lowercase, split on single spaces.
_WORD_PUNCT = r"""!"#$%&()*+,-./:;<=>?@[\]^_`{|}~\n\t'‘’“”’–—…"""
_WORD_PUNCT_RE = re.compile(f"([{_WORD_PUNCT}])")
_SPACES_RE = re.compile(" {2,}")

# textgenrnn_generate's clean-up after joining generated words with spaces.
_DETOKENIZE_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r" ([\n\t]) "), r"\1"),
    (re.compile(r" ([!%),.:;?@\]_}\n\t'])"), r"\1"),
    (re.compile(r"([$(\[_\n\t']) "), r"\1"),
    (re.compile(r'" (.+?) "'), r'"\1"'),
)


class VocabularyError(MLError):
    """A vocabulary file is malformed, or text/ids do not fit the vocabulary."""


class OutOfVocabularyError(VocabularyError):
    """Text holds tokens the vocabulary lacks; `tokens` lists them (unique, in order met)."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        shown = ", ".join(repr(t) for t in self.tokens[:10])
        more = f" and {len(self.tokens) - 10} more" if len(self.tokens) > 10 else ""
        super().__init__(f"{len(self.tokens)} token(s) not in the vocabulary: {shown}{more}")


def tokenize_words(text: str) -> list[str]:
    """textgenrnn's word-level tokenisation of a training text."""
    spaced = _WORD_PUNCT_RE.sub(r" \1 ", text)
    spaced = _SPACES_RE.sub(" ", spaced)
    return [word for word in spaced.lower().split(" ") if word]


def detokenize_words(words: Iterable[str]) -> str:
    """Join words the way textgenrnn_generate does, re-attaching punctuation."""
    text = " ".join(words)
    for pattern, replacement in _DETOKENIZE_STEPS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Vocabulary:
    """textgenrnn's vocabulary: `token_to_id` maps each token to 1..N (0 is padding)."""

    token_to_id: dict[str, int]
    word_level: bool = False
    id_to_token: dict[int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.token_to_id:
            raise VocabularyError("the vocabulary is empty")
        for token, index in self.token_to_id.items():
            if not isinstance(token, str) or not token:
                raise VocabularyError(f"vocabulary token {token!r} is not a non-empty string")
            if not isinstance(index, int) or isinstance(index, bool):
                raise VocabularyError(f"vocabulary index of {token!r} is not an integer")
        ids = sorted(self.token_to_id.values())
        if ids != list(range(1, len(ids) + 1)):
            raise VocabularyError(
                f"vocabulary indices must be 1..{len(ids)} without gaps or repeats"
            )
        object.__setattr__(self, "id_to_token", {i: t for t, i in self.token_to_id.items()})

    # -- construction and files ------------------------------------------------------------

    @classmethod
    def from_textgenrnn_json(cls, values: object, *, word_level: bool = False) -> Vocabulary:
        if not isinstance(values, dict):
            raise VocabularyError("a textgenrnn vocabulary must be a JSON object")
        return cls(token_to_id=dict(values), word_level=word_level)

    @classmethod
    def load(cls, path: Path, *, word_level: bool = False) -> Vocabulary:
        try:
            values = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise VocabularyError(f"cannot read vocabulary {path}: {exc.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise VocabularyError(f"vocabulary {path} is not valid JSON") from None
        return cls.from_textgenrnn_json(values, word_level=word_level)

    def to_textgenrnn_json(self) -> dict[str, int]:
        return dict(sorted(self.token_to_id.items(), key=lambda item: item[1]))

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        *,
        word_level: bool = False,
        max_words: int = 10000,
        single_text: bool = False,
    ) -> Vocabulary:
        """A new vocabulary from texts, as textgenrnn.train_new_model builds one.

        Tokens are ranked by frequency (ties keep first appearance, like Keras' Tokenizer),
        cut to `max_words`, and `<s>` appended unless `single_text`. Word level lowercases.
        """
        counts: dict[str, int] = {}
        for text in texts:
            # Keras' Tokenizer (char_level or not) splits on single spaces at word level.
            tokens = [w for w in text.lower().split(" ") if w] if word_level else list(text)
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
        ranked = sorted(counts, key=lambda token: -counts[token])  # stable: ties in order met
        mapping = {token: rank + 1 for rank, token in enumerate(ranked) if rank + 1 <= max_words}
        if not single_text:
            mapping.pop(END_TOKEN, None)
            mapping = {t: i + 1 for i, t in enumerate(sorted(mapping, key=mapping.__getitem__))}
            mapping[END_TOKEN] = len(mapping) + 1
        if not mapping:
            raise VocabularyError("cannot build a vocabulary from empty texts")
        return cls(token_to_id=mapping, word_level=word_level)

    # -- queries ---------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of tokens (textgenrnn's `len(vocab)`)."""
        return len(self.token_to_id)

    @property
    def num_classes(self) -> int:
        """Output classes of the network: the tokens plus padding (index 0)."""
        return len(self.token_to_id) + 1

    @property
    def end_id(self) -> int:
        if END_TOKEN not in self.token_to_id:
            raise VocabularyError(f"the vocabulary has no end token {END_TOKEN!r}")
        return self.token_to_id[END_TOKEN]

    def __contains__(self, token: object) -> bool:
        return token in self.token_to_id

    def tokenize(self, text: str) -> list[str]:
        """Split text into tokens: characters, or textgenrnn's training-time words."""
        return tokenize_words(text) if self.word_level else list(text)

    def unknown_tokens(self, text: str) -> list[str]:
        """Tokens of `text` the vocabulary lacks, unique, in the order they first appear."""
        return self.unknown_in(self.tokenize(text))

    def unknown_in(self, tokens: Iterable[str]) -> list[str]:
        seen: dict[str, None] = {}
        for token in tokens:
            if token not in self.token_to_id:
                seen.setdefault(token, None)
        return list(seen)

    # -- conversion ------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Ids of `text`'s tokens; raises OutOfVocabularyError rather than drop or pad any."""
        return self.encode_tokens(self.tokenize(text))

    def encode_tokens(self, tokens: Sequence[str]) -> list[int]:
        lookup = self.token_to_id
        try:
            return [lookup[token] for token in tokens]
        except KeyError:
            raise OutOfVocabularyError(self.unknown_in(tokens)) from None

    def decode(self, ids: Iterable[int]) -> str:
        """Text for ids; end tokens are boundaries, not text, so they are left out."""
        tokens: list[str] = []
        for index in ids:
            token = self.id_to_token.get(int(index))
            if token is None:
                raise VocabularyError(f"id {int(index)} is not a token of this vocabulary")
            if token != END_TOKEN:
                tokens.append(token)
        return detokenize_words(tokens) if self.word_level else "".join(tokens)

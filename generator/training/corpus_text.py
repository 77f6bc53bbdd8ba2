"""A corpus file as the trainer sees it: verses (split on blank lines) and their lines.

Two kinds of training text (`TextKind`, chosen per run; generator/ml/verses.py):
- `verses`: each verse is one text, its lines joined by a newline (`verses.verse_text`), for a
  verse model (a newline token added to the pretrained vocabulary);
- `lines`: each LINE is one text ending with `<s>`, as textgenrnn did with a lyrics file (the
  pretrained vocabulary has no newline), for a line model.
`VerseSplit.train_texts(kind)` / `validation_texts(kind)` give either from the same split.

Validation holds out whole verses, chosen among the corpus's *distinct* verses: `build_corpus
--augment` writes every verse twice (the second copy shuffled), so a verse is held out with all
its copies, as if the split happened before augmentation. Lines of one verse share rhymes and
words, so holding out single lines would leak. A held-out line that is also a line of a training
verse (a hook repeated in another verse) is trained on, so it is left out of the validation lines;
the held-out verses themselves stay whole (the evaluation reads them as verses).

The split API (`split_corpus`, used by training and by the evaluation of a model version):
`split_corpus(verses, validation_split=, seed=) -> VerseSplit` with `train_verses` (every copy, in
file order), `held_out_verses` (distinct, in file order), `train_lines` and `validation_lines`.
The same verses, split and seed always give the same split.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.ml.config import TextKind
from generator.ml.dataset import split_texts
from generator.ml.verses import verse_texts

_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")


class CorpusTextError(Exception):
    """The corpus file cannot be read or holds no text; one line."""


@dataclass(frozen=True)
class CorpusText:
    verses: list[str]
    sha256: str

    @property
    def lines(self) -> list[str]:
        return lines_of(self.verses)


def read_corpus(path: Path) -> CorpusText:
    """Verses of a UTF-8 corpus file (verses separated by blank lines) and the file's sha256."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CorpusTextError(f"corpus file {path} does not exist") from None
    except OSError as exc:
        raise CorpusTextError(f"cannot read corpus file {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CorpusTextError(f"corpus file {path} is not UTF-8 text") from None
    return CorpusText(verses=split_verses(text), sha256=hashlib.sha256(data).hexdigest())


def split_verses(text: str) -> list[str]:
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    verses = (verse.strip("\n") for verse in _BLANK_LINE_RE.split(normalised))
    return [verse for verse in verses if verse.strip()]


def lines_of(verses: Sequence[str]) -> list[str]:
    return [line.rstrip() for verse in verses for line in verse.split("\n") if line.strip()]


@dataclass(frozen=True)
class VerseSplit:
    """A corpus split into verses trained on and verses held out (module docstring)."""

    train_verses: list[str]  # every copy of each training verse, in file order
    held_out_verses: list[str]  # each held-out verse once, in file order

    @property
    def train_lines(self) -> list[str]:
        return lines_of(self.train_verses)

    @property
    def validation_lines(self) -> list[str]:
        """The held-out verses' lines, less any line a training verse also has."""
        trained = set(self.train_lines)
        return [line for line in lines_of(self.held_out_verses) if line not in trained]

    def train_texts(self, kind: TextKind) -> list[str]:
        """The training texts: every copy of each training verse, whole or line by line."""
        return verse_texts(self.train_verses) if kind == "verses" else self.train_lines

    def validation_texts(self, kind: TextKind) -> list[str]:
        """The held-out texts: each held-out verse whole (a line a training verse shares stays
        in it: the verse is the unit a verse model reads), or `validation_lines`."""
        return verse_texts(self.held_out_verses) if kind == "verses" else self.validation_lines


def split_corpus(verses: Sequence[str], *, validation_split: float, seed: int) -> VerseSplit:
    """Hold out about `validation_split` of the distinct verses' characters, with every copy."""
    distinct = list(dict.fromkeys(verses))
    _, held_out = split_texts(distinct, validation_split=validation_split, seed=seed)
    held_out_set = set(held_out)
    return VerseSplit(
        train_verses=[verse for verse in verses if verse not in held_out_set],
        held_out_verses=held_out,
    )


def training_lines(
    verses: Sequence[str], *, validation_split: float, seed: int
) -> tuple[list[str], list[str]]:
    """(train lines, validation lines) of `split_corpus`."""
    return training_texts(verses, kind="lines", validation_split=validation_split, seed=seed)


def training_texts(
    verses: Sequence[str], *, kind: TextKind, validation_split: float, seed: int
) -> tuple[list[str], list[str]]:
    """(train texts, validation texts) of `split_corpus`, verses or lines (module docstring)."""
    split = split_corpus(verses, validation_split=validation_split, seed=seed)
    return split.train_texts(kind), split.validation_texts(kind)


def vocabulary_texts(verses: Sequence[str], *, kind: TextKind) -> list[str]:
    """The texts a new network's vocabulary is built from (verse texts bring the newline)."""
    return verse_texts(verses) if kind == "verses" else lines_of(verses)

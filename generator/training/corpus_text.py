"""A corpus file as the trainer sees it: verses (split on blank lines) and their lines.

The pretrained vocabulary has no newline, so, as textgenrnn did with a lyrics file, each LINE is
one text ending with `<s>`. Validation holds out whole verses (lines of one verse share rhymes and
words, so holding out single lines would leak), then each side is flattened into lines.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.ml.dataset import split_texts

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


def training_lines(
    verses: Sequence[str], *, validation_split: float, seed: int
) -> tuple[list[str], list[str]]:
    """(train lines, validation lines), validation from whole held-out verses."""
    train_verses, validation_verses = split_texts(
        list(verses), validation_split=validation_split, seed=seed
    )
    return lines_of(train_verses), lines_of(validation_verses)

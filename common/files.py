"""Files written whole or not at all, and their digests.

An atomic write goes to `<name>.<random>.part` in the same folder (so the rename stays on one
filesystem; unique, so two writers of one name do not clobber each other's part), is fsynced,
renamed over the name, and the folder fsynced: a reader never sees half a file, and a crash
leaves at most a `.part` file behind (artifact stores skip those, see PART_SUFFIX).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

PART_SUFFIX = ".part"
CHUNK_BYTES = 1024 * 1024


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a `.part` path to write (by a library that takes a path: h5py, numpy); on clean
    exit it replaces `path` whole, on an exception it vanishes and `path` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{secrets.token_hex(4)}{PART_SUFFIX}")
    try:
        yield part
        with part.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[BinaryIO]:
    """Yield a binary file to write; `atomic_path`'s guarantees."""
    with atomic_path(path) as part, part.open("xb") as part_file:
        yield part_file


def write_bytes_atomically(path: Path, data: bytes) -> None:
    with atomic_write(path) as part_file:
        part_file.write(data)


def copy_atomically(*, source: Path, destination: Path) -> None:
    with source.open("rb") as source_file, atomic_write(destination) as destination_file:
        shutil.copyfileobj(source_file, destination_file, CHUNK_BYTES)


@dataclass(frozen=True)
class FileDigest:
    size: int
    md5_base64: str  # the form S3's Content-MD5 header takes
    sha256_hex: str


def digest_file(path: Path) -> FileDigest:
    """Size, MD5 and SHA-256 of a file, read once in chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as source_file:
        while chunk := source_file.read(CHUNK_BYTES):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return FileDigest(
        size=size,
        md5_base64=base64.b64encode(md5.digest()).decode("ascii"),
        sha256_hex=sha256.hexdigest(),
    )


def sha256_of_file(path: Path) -> str | None:
    """The file's SHA-256 (hex), or None when it cannot be read (missing, a folder…)."""
    try:
        return digest_file(path).sha256_hex
    except OSError:
        return None


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; some filesystems (and Windows) refuse, which only costs
    # durability of the name across a power cut, never the content.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

"""Local file helpers shared by the stores: atomic writes (`.part`, fsync, rename) and digests."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from generator.artifacts.keys import PART_SUFFIX

CHUNK_BYTES = 1024 * 1024


@contextlib.contextmanager
def atomic_destination(path: Path) -> Iterator[BinaryIO]:
    """Yield a file to write; on clean exit it replaces `path` whole, on error it vanishes.

    The temporary name is `<name>.<random>.part` in the same folder (so the rename stays on one
    filesystem and is atomic), unique so two writers of the same key do not clobber each other.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, part_name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=PART_SUFFIX)
    part_path = Path(part_name)
    try:
        with os.fdopen(fd, "wb") as part_file:
            yield part_file
            part_file.flush()
            os.fsync(part_file.fileno())
        os.replace(part_path, path)
    except BaseException:
        part_path.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def copy_atomically(*, source: Path, destination: Path) -> None:
    with source.open("rb") as source_file, atomic_destination(destination) as destination_file:
        shutil.copyfileobj(source_file, destination_file, CHUNK_BYTES)


@dataclass(frozen=True)
class FileDigest:
    size: int
    md5_base64: str  # the form S3's Content-MD5 header takes
    sha256_hex: str


def digest_file(path: Path) -> FileDigest:
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    size = 0
    with path.open("rb") as source_file:
        while chunk := source_file.read(CHUNK_BYTES):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return FileDigest(
        size=size,
        md5_base64=base64.b64encode(md5.digest()).decode("ascii"),
        sha256_hex=sha256.hexdigest(),
    )


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

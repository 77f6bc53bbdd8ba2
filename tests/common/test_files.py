"""Files written whole or not at all (common/files.py), and their digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from common.files import (
    PART_SUFFIX,
    atomic_path,
    atomic_write,
    digest_file,
    sha256_of_file,
    write_bytes_atomically,
)


class Interrupted(Exception):
    pass


def test_a_write_replaces_the_file_whole_and_leaves_no_part(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "model.bin"

    write_bytes_atomically(target, b"first")
    write_bytes_atomically(target, b"second")

    assert target.read_bytes() == b"second"
    assert list(target.parent.iterdir()) == [target]


def test_an_interrupted_write_keeps_the_old_file_and_removes_its_part(tmp_path: Path) -> None:
    target = tmp_path / "corpus.txt"
    target.write_bytes(b"old")

    with pytest.raises(Interrupted), atomic_write(target) as part_file:
        part_file.write(b"half of the new")
        raise Interrupted

    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_a_library_writes_by_path_to_a_part_file_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "weights.hdf5"

    with atomic_path(target) as part:
        assert part.parent == target.parent
        assert part.name.startswith("weights.hdf5.") and part.name.endswith(PART_SUFFIX)
        part.write_bytes(b"arrays")
        assert not target.exists()

    assert target.read_bytes() == b"arrays"


def test_digests_match_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    data = bytes(range(256)) * 5000  # more than one read chunk
    path.write_bytes(data)

    digest = digest_file(path)

    assert digest.size == len(data)
    assert digest.sha256_hex == hashlib.sha256(data).hexdigest()
    assert sha256_of_file(path) == digest.sha256_hex


def test_an_unreadable_file_has_no_sha256(tmp_path: Path) -> None:
    assert sha256_of_file(tmp_path / "missing.txt") is None
    assert sha256_of_file(tmp_path) is None

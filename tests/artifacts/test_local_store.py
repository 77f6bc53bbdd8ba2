"""LocalArtifactStore specifics: atomic writes on disk, and unfinished writes kept out of sight."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.files import atomic_write
from generator.artifacts import LocalArtifactStore
from tests.artifacts.conftest import write_file


class InterruptedWrite(Exception):
    pass


def test_an_interrupted_write_leaves_the_old_file_and_no_part(tmp_path: Path) -> None:
    target = write_file(tmp_path / "epoch-0001.ckpt", b"complete old checkpoint")

    with pytest.raises(InterruptedWrite), atomic_write(target) as part_file:
        part_file.write(b"half of the new one")
        assert target.read_bytes() == b"complete old checkpoint"  # readers never see a part
        raise InterruptedWrite

    assert target.read_bytes() == b"complete old checkpoint"
    assert os.listdir(tmp_path) == ["epoch-0001.ckpt"]


def test_writes_go_through_a_part_file_in_the_same_folder(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "1" / "epoch-0001.ckpt"

    with atomic_write(target) as part_file:
        part_file.write(b"new")
        (part_name,) = os.listdir(target.parent)
        assert part_name.startswith("epoch-0001.ckpt.") and part_name.endswith(".part")

    assert os.listdir(target.parent) == ["epoch-0001.ckpt"]
    assert target.read_bytes() == b"new"


def test_listing_skips_unfinished_writes(local_store: LocalArtifactStore, tmp_path: Path) -> None:
    local_store.put_file(write_file(tmp_path / "f", b"x"), "runs/1/epoch-0001.ckpt")
    write_file(local_store.root / "runs" / "1" / "epoch-0002.ckpt.k3j9x.part", b"crashed")

    assert local_store.list("runs/") == ["runs/1/epoch-0001.ckpt"]


def test_storing_a_file_onto_itself_keeps_it(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    checkpoint = write_file(tmp_path / "runs" / "1" / "epoch-0001.ckpt", b"weights")

    store.put_file(checkpoint, "runs/1/epoch-0001.ckpt")

    assert checkpoint.read_bytes() == b"weights"


def test_uri_is_a_file_url_under_the_root(local_store: LocalArtifactStore) -> None:
    assert local_store.uri("runs/1/a.ckpt") == (local_store.root / "runs/1/a.ckpt").as_uri()


def test_check_creates_the_root_folder(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "not" / "yet")

    store.check()

    assert (tmp_path / "not" / "yet").is_dir()

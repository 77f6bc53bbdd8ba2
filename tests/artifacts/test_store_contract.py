"""What every ArtifactStore does, checked on the local folder and on S3 (moto_server) alike."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.artifacts import ArtifactNotFound, ArtifactStore, ArtifactStoreError
from tests.artifacts.conftest import write_file

CHECKPOINT_BYTES = os.urandom(300_000)  # several read chunks' worth, no structure to hide bugs


def test_it_is_an_artifact_store(store: ArtifactStore) -> None:
    assert isinstance(store, ArtifactStore)


def test_it_round_trips_a_file_byte_for_byte(store: ArtifactStore, tmp_path: Path) -> None:
    source = write_file(tmp_path / "out" / "epoch-0001.ckpt", CHECKPOINT_BYTES)

    store.put_file(source, "runs/7/epoch-0001.ckpt")
    store.get_file("runs/7/epoch-0001.ckpt", tmp_path / "back" / "fetched.ckpt")

    assert (tmp_path / "back" / "fetched.ckpt").read_bytes() == CHECKPOINT_BYTES
    assert not list((tmp_path / "back").glob("*.part"))


def test_it_keeps_the_local_copy_after_upload(store: ArtifactStore, tmp_path: Path) -> None:
    source = write_file(tmp_path / "epoch-0001.ckpt", b"weights")

    store.put_file(source, "runs/7/epoch-0001.ckpt")

    assert source.read_bytes() == b"weights"


def test_it_replaces_an_existing_artifact(store: ArtifactStore, tmp_path: Path) -> None:
    store.put_file(write_file(tmp_path / "a", b"first"), "model/weights.hdf5")
    store.put_file(write_file(tmp_path / "b", b"second"), "model/weights.hdf5")

    store.get_file("model/weights.hdf5", tmp_path / "fetched")

    assert (tmp_path / "fetched").read_bytes() == b"second"


def test_it_round_trips_an_empty_file(store: ArtifactStore, tmp_path: Path) -> None:
    store.put_file(write_file(tmp_path / "empty", b""), "empty.txt")

    store.get_file("empty.txt", tmp_path / "fetched")

    assert (tmp_path / "fetched").read_bytes() == b""


def test_it_lists_keys_by_string_prefix_sorted(store: ArtifactStore, tmp_path: Path) -> None:
    source = write_file(tmp_path / "f", b"x")
    for key in ["runs/42/epoch-0002.ckpt", "runs/4/epoch-0001.ckpt", "runs/42/epoch-0001.ckpt"]:
        store.put_file(source, key)
    store.put_file(source, "models/3/weights.hdf5")

    assert store.list("runs/42/") == ["runs/42/epoch-0001.ckpt", "runs/42/epoch-0002.ckpt"]
    assert store.list("runs/4") == [
        "runs/4/epoch-0001.ckpt",
        "runs/42/epoch-0001.ckpt",
        "runs/42/epoch-0002.ckpt",
    ]
    assert store.list("runs/9/") == []
    assert store.list() == [
        "models/3/weights.hdf5",
        "runs/4/epoch-0001.ckpt",
        "runs/42/epoch-0001.ckpt",
        "runs/42/epoch-0002.ckpt",
    ]


def test_it_tells_whether_a_key_exists(store: ArtifactStore, tmp_path: Path) -> None:
    store.put_file(write_file(tmp_path / "f", b"x"), "runs/1/epoch-0001.ckpt")

    assert store.exists("runs/1/epoch-0001.ckpt")
    assert not store.exists("runs/1/epoch-0002.ckpt")
    assert not store.exists("runs/1")  # a "folder" is not an artifact


def test_it_deletes_and_deleting_again_is_harmless(store: ArtifactStore, tmp_path: Path) -> None:
    store.put_file(write_file(tmp_path / "f", b"x"), "runs/1/epoch-0001.ckpt")

    store.delete("runs/1/epoch-0001.ckpt")
    store.delete("runs/1/epoch-0001.ckpt")

    assert not store.exists("runs/1/epoch-0001.ckpt")
    assert store.list("runs/") == []


def test_it_reports_a_missing_key_as_not_found(store: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFound, match=r"runs/1/epoch-0009\.ckpt"):
        store.get_file("runs/1/epoch-0009.ckpt", tmp_path / "fetched")

    assert not (tmp_path / "fetched").exists()
    assert list(tmp_path.iterdir()) in ([], [tmp_path / "artifacts"])


def test_a_missing_key_leaves_an_existing_local_file_alone(
    store: ArtifactStore, tmp_path: Path
) -> None:
    previous = write_file(tmp_path / "fetched", b"previous download")

    with pytest.raises(ArtifactNotFound):
        store.get_file("nope.ckpt", previous)

    assert previous.read_bytes() == b"previous download"


def test_it_refuses_to_store_a_missing_local_file(store: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(ArtifactStoreError, match=r"no such file$"):
        store.put_file(tmp_path / "never-written.ckpt", "runs/1/epoch-0001.ckpt")


@pytest.mark.parametrize(
    "bad_key", ["", "/abs/key", "runs/../../etc/passwd", "runs//x", "runs/", "x.part", "a\\b"]
)
def test_it_refuses_keys_that_would_differ_between_stores(
    store: ArtifactStore, tmp_path: Path, bad_key: str
) -> None:
    source = write_file(tmp_path / "f", b"x")

    with pytest.raises(ArtifactStoreError, match="invalid artifact key"):
        store.put_file(source, bad_key)


def test_check_passes_on_a_usable_store(store: ArtifactStore) -> None:
    store.check()


def test_it_gives_each_listed_key_its_size(store: ArtifactStore, tmp_path: Path) -> None:
    store.put_file(write_file(tmp_path / "a", CHECKPOINT_BYTES), "runs/5/epoch-0002.ckpt")
    store.put_file(write_file(tmp_path / "b", b"tiny"), "runs/5/epoch-0001.ckpt")
    store.put_file(write_file(tmp_path / "c", b"other"), "runs/6/epoch-0001.ckpt")

    assert store.sizes("runs/5/") == {
        "runs/5/epoch-0001.ckpt": 4,
        "runs/5/epoch-0002.ckpt": len(CHECKPOINT_BYTES),
    }
    assert list(store.sizes("runs/5/")) == store.list("runs/5/")
    assert store.sizes("runs/9/") == {}

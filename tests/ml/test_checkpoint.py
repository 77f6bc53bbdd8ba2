"""Checkpoints: one file that restores a run exactly and detects corruption and truncation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generator.ml.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from generator.ml.vocab import Vocabulary
from tests.ml.conftest import TINY


def a_checkpoint() -> Checkpoint:
    rng = np.random.default_rng(7)
    return Checkpoint(
        config=TINY,
        vocabulary=Vocabulary.build(["some text"]),
        model_variables=[rng.normal(size=(5, 3)).astype(np.float32), np.arange(2, dtype=np.uint32)],
        optimizer_variables=[np.array(12, dtype=np.int64), rng.normal(size=(5, 3))],
        epoch=3,
        seed=11,
        batches_done=4,
        metrics=[{"epoch": 1, "train_loss": 2.5}],
        training={"epochs": 5},
        partial_epoch={"loss_sum": 9.0},
        model_variable_paths=["a/kernel", "seed/state"],
        optimizer_variable_paths=["iterations", "m"],
    )


def test_it_round_trips_every_field(tmp_path: Path) -> None:
    original = a_checkpoint()
    path = tmp_path / "epoch-0003.ckpt"
    save_checkpoint(original, path)
    loaded = load_checkpoint(path)
    assert loaded.config == original.config
    assert loaded.vocabulary == original.vocabulary
    for ours, theirs in zip(
        loaded.model_variables + loaded.optimizer_variables,
        original.model_variables + original.optimizer_variables,
        strict=True,
    ):
        assert ours.dtype == theirs.dtype
        assert np.array_equal(ours, theirs)
    assert (loaded.epoch, loaded.seed, loaded.batches_done) == (3, 11, 4)
    assert loaded.metrics == original.metrics
    assert loaded.partial_epoch == {"loss_sum": 9.0}
    assert not list(tmp_path.glob("*.part"))


def test_it_refuses_a_corrupt_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "c.ckpt"
    save_checkpoint(a_checkpoint(), path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(
        CheckpointError, match=r"^checkpoint c\.ckpt is corrupt \(sha256 mismatch\)$"
    ):
        load_checkpoint(path)


def test_it_refuses_a_truncated_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "c.ckpt"
    save_checkpoint(a_checkpoint(), path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match=r"^checkpoint c\.ckpt is truncated \(\d+ of \d+"):
        load_checkpoint(path)
    path.write_bytes(b"RAPLYRICS")
    with pytest.raises(CheckpointError, match="no complete header"):
        load_checkpoint(path)


def test_it_refuses_a_foreign_file_and_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "weights.hdf5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(200))
    with pytest.raises(CheckpointError, match="is not a RapLyrics training checkpoint"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.ckpt")


def test_a_failed_write_leaves_the_previous_checkpoint_intact(tmp_path: Path) -> None:
    path = tmp_path / "c.ckpt"
    save_checkpoint(a_checkpoint(), path)
    before = path.read_bytes()
    broken = a_checkpoint()
    broken.metrics = [{"unserialisable": object()}]
    with pytest.raises(TypeError):
        save_checkpoint(broken, path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.part"))

"""Checkpoint names: written and read in one place (generator/ml/checkpoint.py)."""

from __future__ import annotations

import pytest

from generator.ml.checkpoint import checkpoint_filename, checkpoint_position


@pytest.mark.parametrize(("epoch", "batches"), [(0, 17), (3, 0), (12, 1), (10_000, 999_999)])
def test_a_name_reads_back_as_its_position(epoch: int, batches: int) -> None:
    assert checkpoint_position(checkpoint_filename(epoch, batches)) == (epoch, batches)


def test_a_key_is_read_by_its_last_part() -> None:
    assert checkpoint_position("runs/7/epoch-0002-batch-000017.ckpt") == (2, 17)


def test_mid_epoch_checkpoints_order_after_the_epoch_they_follow() -> None:
    names = [checkpoint_filename(2, 17), checkpoint_filename(3), checkpoint_filename(2)]
    assert sorted(names, key=checkpoint_position) == [
        "epoch-0002.ckpt",
        "epoch-0002-batch-000017.ckpt",
        "epoch-0003.ckpt",
    ]


@pytest.mark.parametrize("name", ["corpus.txt", "epoch-2.ckpt", "epoch-0002.ckpt.part", ""])
def test_other_names_are_not_checkpoints(name: str) -> None:
    assert checkpoint_position(name) is None

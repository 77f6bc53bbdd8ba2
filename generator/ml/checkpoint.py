"""Training checkpoints: one self-checking file per save, written atomically.

Layout (FORMAT_VERSION 1):
    MAGIC (16 bytes) | format version (u32 LE) | payload length (u64 LE) | sha256(payload) (32)
    | payload = an uncompressed .npz: `model/NNN` and `optimizer/NNN` arrays plus `meta`
      (UTF-8 JSON as uint8: config, vocabulary, epoch, batches done, seed, metrics, ...).
The length detects truncation and the digest any other corruption before anything is parsed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from common.files import atomic_write
from generator.ml.config import MLError, ModelConfig
from generator.ml.vocab import Vocabulary

MAGIC = b"RAPLYRICS-CKPT\n\x00"
FORMAT_VERSION = 1
_HEADER = struct.Struct("<16sIQ32s")
_NAME_RE = re.compile(r"epoch-(\d{4,})(?:-batch-(\d{6,}))?\.ckpt$")


class CheckpointError(MLError):
    """A checkpoint is missing, truncated, corrupt, foreign or of an unknown format version."""


@dataclass
class Checkpoint:
    """Everything needed to continue a training run exactly where it stopped.

    `epoch` counts completed epochs; `batches_done` > 0 means the run stopped inside epoch
    `epoch + 1` after that many batches (the shuffle order is a pure function of seed and
    epoch, so the remaining batches can be replayed). Model variables include the dropout
    RNG state (Keras seed generators), optimizer variables Adam's moments and step count.
    """

    config: ModelConfig
    vocabulary: Vocabulary
    model_variables: list[np.ndarray]
    optimizer_variables: list[np.ndarray]
    epoch: int
    seed: int
    batches_done: int = 0
    metrics: list[dict[str, Any]] = field(default_factory=list)
    training: dict[str, Any] = field(default_factory=dict)
    # Sums over the finished batches of a partial epoch, to report its mean loss on resume.
    partial_epoch: dict[str, Any] = field(default_factory=dict)
    model_variable_paths: list[str] = field(default_factory=list)
    optimizer_variable_paths: list[str] = field(default_factory=list)


def save_checkpoint(checkpoint: Checkpoint, path: Path) -> str:
    """Write the checkpoint atomically; return the payload's sha256 (hex)."""
    meta = {
        "format": "raplyrics-training-checkpoint",
        "format_version": FORMAT_VERSION,
        "config": checkpoint.config.to_dict(),
        "vocabulary": checkpoint.vocabulary.to_textgenrnn_json(),
        "word_level": checkpoint.vocabulary.word_level,
        "epoch": checkpoint.epoch,
        "batches_done": checkpoint.batches_done,
        "seed": checkpoint.seed,
        "metrics": checkpoint.metrics,
        "training": checkpoint.training,
        "partial_epoch": checkpoint.partial_epoch,
        "model_variable_paths": checkpoint.model_variable_paths,
        "optimizer_variable_paths": checkpoint.optimizer_variable_paths,
    }
    arrays: dict[str, np.ndarray] = {
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    }
    for index, array in enumerate(checkpoint.model_variables):
        arrays[f"model/{index:03d}"] = np.asarray(array)
    for index, array in enumerate(checkpoint.optimizer_variables):
        arrays[f"optimizer/{index:03d}"] = np.asarray(array)
    buffer = io.BytesIO()
    # numpy's stubs read a key of **arrays as possibly its `allow_pickle` flag; none is.
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    payload = buffer.getvalue()
    digest = hashlib.sha256(payload).digest()
    header = _HEADER.pack(MAGIC, FORMAT_VERSION, len(payload), digest)
    with atomic_write(Path(path)) as handle:
        handle.write(header)
        handle.write(payload)
    return digest.hex()


def verify_checkpoint(path: Path) -> bytes:
    """Return the verified payload, or raise CheckpointError saying what is wrong in one line."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            header = handle.read(_HEADER.size)
            if len(header) < _HEADER.size:
                raise CheckpointError(f"checkpoint {path.name} is truncated (no complete header)")
            magic, version, length, digest = _HEADER.unpack(header)
            if magic != MAGIC:
                raise CheckpointError(f"{path.name} is not a RapLyrics training checkpoint")
            if version != FORMAT_VERSION:
                raise CheckpointError(
                    f"checkpoint {path.name} has format version {version}; "
                    f"this code reads version {FORMAT_VERSION}"
                )
            payload = handle.read(length + 1)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    if len(payload) < length:
        raise CheckpointError(
            f"checkpoint {path.name} is truncated ({len(payload)} of {length} payload bytes)"
        )
    if len(payload) > length:
        raise CheckpointError(f"checkpoint {path.name} has trailing bytes after its payload")
    if hashlib.sha256(payload).digest() != digest:
        raise CheckpointError(f"checkpoint {path.name} is corrupt (sha256 mismatch)")
    return payload


def load_checkpoint(path: Path) -> Checkpoint:
    payload = verify_checkpoint(path)
    name = Path(path).name
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode())
            model_keys = sorted(k for k in archive.files if k.startswith("model/"))
            optimizer_keys = sorted(k for k in archive.files if k.startswith("optimizer/"))
            model_variables = [archive[k] for k in model_keys]
            optimizer_variables = [archive[k] for k in optimizer_keys]
        config = ModelConfig.from_dict(meta["config"])
        vocabulary = Vocabulary.from_textgenrnn_json(
            meta["vocabulary"], word_level=bool(meta["word_level"])
        )
        return Checkpoint(
            config=config,
            vocabulary=vocabulary,
            model_variables=model_variables,
            optimizer_variables=optimizer_variables,
            epoch=int(meta["epoch"]),
            seed=int(meta["seed"]),
            batches_done=int(meta["batches_done"]),
            metrics=list(meta["metrics"]),
            training=dict(meta["training"]),
            partial_epoch=dict(meta["partial_epoch"]),
            model_variable_paths=list(meta["model_variable_paths"]),
            optimizer_variable_paths=list(meta["optimizer_variable_paths"]),
        )
    except MLError as exc:
        raise CheckpointError(
            f"checkpoint {name} holds an invalid model description: {exc}"
        ) from None
    except (KeyError, ValueError, TypeError) as exc:
        # The digest matched, so this is a file written by a different (buggy or newer) writer.
        raise CheckpointError(f"checkpoint {name} is malformed: {exc}") from None


def checkpoint_filename(epoch: int, batches_done: int = 0) -> str:
    """Sortable names: `epoch-0003.ckpt`, or `epoch-0003-batch-000017.ckpt` mid-epoch 4."""
    if batches_done:
        return f"epoch-{epoch:04d}-batch-{batches_done:06d}.ckpt"
    return f"epoch-{epoch:04d}.ckpt"


def checkpoint_position(name: str) -> tuple[int, int] | None:
    """(completed epochs, batches of the next epoch) of a checkpoint name or key (the last
    `/`-separated part counts), None if it is not one of `checkpoint_filename`'s names.

    `epoch-0002-batch-000017.ckpt` is newer than `epoch-0002.ckpt` though it sorts before it
    as a string, so names are ordered by this instead.
    """
    match = _NAME_RE.search(name.rsplit("/", 1)[-1])
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)

"""The demo model that ships in the repository, so `make run` serves it without training.

`make demo-model` trains it (`prepare_demo_model --retrain`) and `export_demo_model` writes the
version's files into `generator/demo/model/`: textgenrnn's trio, the corpus line index and
`demo_training.json` (the run's hyperparameters, per-epoch losses, why it stopped, the corpus's
sha256 and the version's metrics). On a fresh clone `register_shipped_demo_model` records that
run as done and registers the files as the active version: the evaluation can still split the
corpus the way the run did (same file, same seed), so the demo version is evaluated like any.

A shipped model trained on another corpus than today's `corpus.txt` (the file was edited since)
is not registered: the caller trains anew.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from common.files import copy_atomically, write_bytes_atomically
from generator.demo import DEMO_CORPUS
from generator.model_versions import ModelFiles, register_model_version
from generator.models import ModelVersion, TrainingRun

SHIPPED_DIR = Path(__file__).resolve().parent / "model"
FILE_NAMES = {
    "weights": "demo_weights.hdf5",
    "vocab": "demo_vocab.json",
    "config": "demo_config.json",
    "line_index": "demo_line_index.npz",
}
TRAINING_FILE = "demo_training.json"
TRAINING_FORMAT = 1


class ShippedModelError(Exception):
    """The shipped demo model cannot be used; one line saying why."""


@dataclass(frozen=True)
class ShippedModel:
    files: ModelFiles
    training: dict[str, Any]


def shipped_model(
    directory: Path | None = None, *, corpus_file: Path = DEMO_CORPUS
) -> ShippedModel:
    """The shipped files (in SHIPPED_DIR by default), checked: all present, and trained on
    today's corpus file."""
    from generator.training.corpus_text import read_corpus

    directory = SHIPPED_DIR if directory is None else directory
    paths = {role: directory / name for role, name in FILE_NAMES.items()}
    missing = [
        path.name for path in [*paths.values(), directory / TRAINING_FILE] if not path.is_file()
    ]
    if missing:
        raise ShippedModelError(f"{directory} lacks {', '.join(missing)}")
    try:
        training = json.loads((directory / TRAINING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ShippedModelError(f"{directory / TRAINING_FILE} is unreadable: {error}") from None
    if not isinstance(training, dict) or training.get("format") != TRAINING_FORMAT:
        raise ShippedModelError(f"{directory / TRAINING_FILE} is not format {TRAINING_FORMAT}")
    if read_corpus(corpus_file).sha256 != training.get("corpus_sha256"):
        raise ShippedModelError(
            f"the shipped demo model was trained on another version of {corpus_file.name}"
        )
    return ShippedModel(files=ModelFiles(**paths), training=training)


@transaction.atomic
def register_shipped_demo_model(
    shipped: ShippedModel, *, name: str, corpus_file: Path = DEMO_CORPUS
) -> ModelVersion:
    """Record the shipped model's run (done) and register its files as the active version."""
    from generator.training.corpus_text import read_corpus
    from lyrics.corpus_size import distinct_chars

    training = shipped.training
    run = TrainingRun.objects.create(
        corpus_file=str(Path(corpus_file).resolve()),
        corpus_sha256=training["corpus_sha256"],
        from_pretrained=bool(training.get("from_pretrained", True)),
        hyperparameters=training["hyperparameters"],
        seed=int(training.get("seed", 0)),
        epochs=int(training["epochs"]),
        epochs_done=int(training["epochs_done"]),
        status=TrainingRun.Status.DONE,
        epoch_metrics=training.get("epoch_metrics", []),
        wall_seconds=float(training.get("wall_seconds", 0.0)),
        device=str(training.get("device", "")),
        best_epoch=training.get("best_epoch"),
        stop_reason=str(training.get("stop_reason", ""))[:300],
    )
    return register_model_version(
        name=name,
        files=shipped.files,
        training_run=run,
        metrics={
            "corpus_chars": distinct_chars(read_corpus(Path(corpus_file)).verses),
            **training.get("metrics", {}),
            "shipped": True,
        },
        activate=True,
    )


def export_demo_model(version: ModelVersion, directory: Path = SHIPPED_DIR) -> Path:
    """Write the version's files and its run's record into `directory` (module docstring)."""
    from generator.serving import fetch_model_files

    run = version.training_run
    if run is None:
        raise ShippedModelError(f"model version {version.pk} has no training run to ship")
    files, index_path = fetch_model_files(version)
    if index_path is None:
        raise ShippedModelError(f"model version {version.pk} has no corpus line index")
    if files.config is None:
        raise ShippedModelError(f"model version {version.pk} has no config file")
    directory.mkdir(parents=True, exist_ok=True)
    sources = {
        "weights": files.weights,
        "vocab": files.vocab,
        "config": files.config,
        "line_index": index_path,
    }
    for role, source in sources.items():
        target = directory / FILE_NAMES[role]
        copy_atomically(source=Path(source), destination=target)
    record = {
        "format": TRAINING_FORMAT,
        "corpus_sha256": run.corpus_sha256,
        "from_pretrained": run.from_pretrained,
        "hyperparameters": run.hyperparameters,
        "seed": run.seed,
        "epochs": run.epochs,
        "epochs_done": run.epochs_done,
        "epoch_metrics": run.epoch_metrics,
        "wall_seconds": run.wall_seconds,
        "device": run.device,
        "best_epoch": run.best_epoch,
        "stop_reason": run.stop_reason,
        "metrics": version.metrics,
    }
    text = json.dumps(record, indent=1, sort_keys=True) + "\n"
    write_bytes_atomically(directory / TRAINING_FILE, text.encode("utf-8"))
    return directory

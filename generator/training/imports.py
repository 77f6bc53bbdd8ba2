"""Importing a model trained with the textgenrnn library (its weights/vocab/config trio)."""

from __future__ import annotations

from pathlib import Path

from generator.ml.config import MLError
from generator.ml.weights import TextgenrnnFiles, load_textgenrnn
from generator.model_versions import ModelFiles, ModelVersionError, register_model_version
from generator.models import ModelVersion
from generator.training.errors import TrainingRequestError


def import_textgenrnn(
    *, weights: Path, vocab: Path, config: Path, name: str, activate: bool = False
) -> ModelVersion:
    """Register the trio as a model version after building the model from it once.

    Building it proves the three files fit together (a vocabulary of another size, a config of
    another shape): a mismatch raises TrainingRequestError in one line and registers nothing.
    """
    if not name.strip():
        raise TrainingRequestError("the model version needs a name")
    files = TextgenrnnFiles(weights=Path(weights), vocab=Path(vocab), config=Path(config))
    for role, path in (("weights", files.weights), ("vocab", files.vocab), ("config", config)):
        if not Path(path).is_file():
            raise TrainingRequestError(f"the {role} file {path} does not exist")
    try:
        load_textgenrnn(files)
    except MLError as exc:
        raise TrainingRequestError(f"cannot import: {exc}") from None
    try:
        return register_model_version(
            name=name,
            files=ModelFiles(weights=files.weights, vocab=files.vocab, config=Path(config)),
            source=ModelVersion.Source.IMPORTED,
            activate=activate,
        )
    except ModelVersionError as exc:
        raise TrainingRequestError(str(exc)) from None

"""A done run's result: its model exported as textgenrnn's trio plus the corpus line index,
registered as a ModelVersion (with the metrics the admin and the lyrics writer read), then
evaluated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.ml.fit import TrainingState, serving_model
from generator.ml.lyrics_writer import LineShape
from generator.ml.originality import CorpusLineIndex
from generator.ml.verses import text_kind_of
from generator.ml.weights import save_textgenrnn
from generator.model_versions import ModelFiles, register_model_version
from generator.models import ModelVersion, TrainingRun
from generator.serving import LINE_SHAPE_METRIC
from generator.training.corpus_text import CorpusText, lines_of
from lyrics.corpus_size import distinct_chars


def export_and_register(
    run: TrainingRun,
    state: TrainingState,
    text: CorpusText,
    *,
    work_dir: Path,
    activate: bool,
    name: str,
    stop_reason: str,
) -> ModelVersion:
    export_dir = work_dir / "export"
    # The run's result: the weights' moving average where it keeps one (generator/ml/averaging.py).
    files = save_textgenrnn(
        serving_model(state),
        vocabulary=state.vocabulary,
        config=state.config,
        directory=export_dir,
        name=name,
    )
    assert files.config is not None
    index_path = export_dir / f"{name}_line_index.npz"
    CorpusLineIndex.from_texts(text.verses).save(index_path)
    last = state.metrics[-1] if state.metrics else None
    metrics: dict[str, Any] = {
        "epochs": state.epoch,
        "epochs_trained": run.epochs_done,
        "stop_reason": stop_reason,
        "objective": state.training.objective,
        "texts": text_kind_of(state.vocabulary),
        "corpus_chars": distinct_chars(text.verses),  # the site warns below SMALL_CORPUS_CHARS
        "loss": last.train_loss if last else None,
        "val_loss": last.validation_loss if last else None,
        "windows_per_second": run.windows_per_second,
        "wall_seconds": run.wall_seconds,
        "device": run.device,
    }
    shape = LineShape.of_lines(lines_of(text.verses))
    if shape is not None:
        # The lyrics writer scores a line's length against these (generator.serving).
        metrics[LINE_SHAPE_METRIC] = shape.as_dict()
    return register_model_version(
        name=name,
        files=ModelFiles(
            weights=files.weights, vocab=files.vocab, config=files.config, line_index=index_path
        ),
        source=ModelVersion.Source.TRAINED,
        corpus=run.corpus,
        training_run=run,
        metrics=metrics,
        activate=activate,
    )


def evaluate_registered(version: ModelVersion) -> str | None:
    """The registered version's evaluation (generator/evaluation.py), in one line."""
    from generator.evaluation import evaluate_after_training  # it reads runs' corpora from here

    return evaluate_after_training(version)

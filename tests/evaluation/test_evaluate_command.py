"""manage.py evaluate and the evaluate_model task: the table, the stored evaluation, bad input."""

from __future__ import annotations

import hashlib
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from generator import serving
from generator.evaluation import EvaluationError, evaluate_model_version
from generator.ml.evaluation.table import COLUMNS
from generator.models import ModelEvaluation, ModelVersion, TrainingRun
from generator.tasks import evaluate_model


def evaluate(*args: str) -> str:
    out = StringIO()
    call_command("evaluate", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_prints_the_version_beside_its_corpus_and_stores_the_evaluation(
    trained_version: ModelVersion,
) -> None:
    output = evaluate("--model", str(trained_version.pk), "--verses", "3", "--seed", "5")

    evaluation = ModelEvaluation.objects.get(version=trained_version)
    assert evaluation.settings["verses"] == 3
    assert evaluation.settings["first_seed"] == 5
    assert evaluation.held_out_verses >= 1
    assert len(evaluation.samples) == 3
    assert evaluation.model_row["verses"] == 3
    assert evaluation.model_row["bits_per_char"] > 0
    assert evaluation.corpus_row["loss"] is None
    assert evaluation.corpus_row["words_per_line"] > 0
    header = output.splitlines()[1]
    assert "corpus (" in header and trained_version.name in header
    for column in COLUMNS:
        assert column.label in output
    assert "1 evaluation(s) stored" in output


def test_the_same_seeds_give_the_same_measures(trained_version: ModelVersion) -> None:
    first = evaluate_model_version(version_id=trained_version.pk, verses=2, first_seed=9)
    again = evaluate_model_version(version_id=trained_version.pk, verses=2, first_seed=9)
    assert again.measures == first.measures
    assert again.samples == first.samples


def test_the_active_version_is_evaluated_with_active(trained_version: ModelVersion) -> None:
    with pytest.raises(CommandError, match="no model version is active"):
        evaluate("--active")
    ModelVersion.objects.filter(pk=trained_version.pk).update(is_active=True)
    evaluate("--active", "--verses", "1")
    assert ModelEvaluation.objects.filter(version=trained_version).count() == 1


def test_an_unknown_version_is_refused_in_one_line(db: None) -> None:
    with pytest.raises(CommandError, match=r"^there is no model version 999; list them"):
        evaluate("--model", "999")
    with pytest.raises(CommandError, match="there is no model version yet"):
        evaluate("--all")
    assert not ModelEvaluation.objects.exists()


def test_a_version_whose_files_are_gone_is_refused_and_nothing_stored(
    trained_version: ModelVersion,
) -> None:
    shutil.rmtree(Path(settings.ARTIFACTS_DIR) / "models" / str(trained_version.pk))
    shutil.rmtree(serving.model_cache_dir(trained_version), ignore_errors=True)
    with pytest.raises(CommandError, match=r"cannot be loaded: .*restore its files"):
        evaluate("--model", str(trained_version.pk), "--verses", "1")
    assert not ModelEvaluation.objects.exists()


def version_of_a_run(**training: Any) -> ModelVersion:
    """A version whose run's corpus is the given file (no model files: refused before)."""
    run = TrainingRun.objects.create(
        corpus_file=training.pop("corpus_file"),
        corpus_sha256=training.pop("corpus_sha256"),
        hyperparameters={"training": training},
        epochs=1,
        status=TrainingRun.Status.DONE,
    )
    return ModelVersion.objects.create(
        name=f"run-{run.pk}", training_run=run, weights_key="w", vocab_key="v", config_key="c"
    )


def test_a_corpus_too_small_to_hold_a_verse_out_is_refused(db: None, tmp_path: Path) -> None:
    one_verse = tmp_path / "one.txt"
    one_verse.write_text("A single verse\nof two lines\n", encoding="utf-8")
    sha = hashlib.sha256(one_verse.read_bytes()).hexdigest()
    version = version_of_a_run(
        corpus_file=str(one_verse), corpus_sha256=sha, validation_split=0.1, seed=0
    )
    with pytest.raises(CommandError, match=r"held no verse out: its corpus has 1 distinct"):
        evaluate("--model", str(version.pk))
    assert not ModelEvaluation.objects.exists()


def test_an_imported_version_has_no_held_out_verses_to_compare_with(db: None) -> None:
    version = ModelVersion.objects.create(
        name="imported", source=ModelVersion.Source.IMPORTED, weights_key="w", vocab_key="v"
    )
    with pytest.raises(EvaluationError, match="has no training run here"):
        evaluate_model_version(version_id=version.pk)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--verses", "0"], "verses must be a whole number from 1 to 256"),
        (["--seed", "-1"], "seed must be a whole number from 0"),
    ],
)
def test_settings_out_of_range_are_refused(
    trained_version: ModelVersion, flags: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        evaluate("--model", str(trained_version.pk), *flags)
    assert not ModelEvaluation.objects.exists()


def test_the_task_stores_an_evaluation_and_reports_a_bad_id(trained_version: ModelVersion) -> None:
    # Celery runs eagerly in the tests: the same call a worker on the training queue makes.
    result = evaluate_model.delay(trained_version.pk).get()
    evaluation = ModelEvaluation.objects.get(version=trained_version)
    assert result["evaluation_id"] == evaluation.pk
    assert "bits/char" in result["message"]
    refused = evaluate_model.delay(12345).get()
    assert refused["evaluation_id"] is None
    assert "there is no model version 12345" in refused["message"]


def test_all_evaluates_every_version_and_fails_after_naming_those_it_could_not(
    trained_version: ModelVersion,
) -> None:
    ModelVersion.objects.create(
        name="imported", source=ModelVersion.Source.IMPORTED, weights_key="w", vocab_key="v"
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 of 2 versions could not be evaluated"):
        call_command("evaluate", "--all", "--verses", "1", stdout=out, stderr=err)
    assert trained_version.name in out.getvalue()  # its table was printed
    assert "imported) has no training run here" in err.getvalue()
    assert ModelEvaluation.objects.get().version == trained_version

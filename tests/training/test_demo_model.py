"""prepare_demo_model trains, registers and activates `demo` once; later it does nothing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from generator.models import ModelVersion, TrainingRun
from tests.training.conftest import VERSES, write_corpus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_it_prepares_the_demo_model_once(
    work_dirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAPLYRICS_SKIP_DEMO", raising=False)
    # The pretrained network on a few verses: the real path, a small corpus.
    corpus_file = write_corpus(tmp_path / "demo.txt", VERSES[:4])
    out = StringIO()
    call_command("prepare_demo_model", "--corpus-file", str(corpus_file), stdout=out)

    version = ModelVersion.objects.get()
    assert version.name == "demo" and version.is_active and version.line_index_key
    assert version.training_run is not None and version.training_run.from_pretrained
    # The shipped model's recipe: textgenrnn's objective on verses, the trained weights kept.
    training = version.training_run.hyperparameters["training"]
    assert (training["objective"], training["weight_average"]) == ("last", None)
    assert "demo model ready" in out.getvalue()

    out = StringIO()
    call_command("prepare_demo_model", "--corpus-file", str(corpus_file), stdout=out)
    assert out.getvalue().strip() == "demo model ready"
    assert TrainingRun.objects.count() == 1


def test_it_skips_the_demo_when_asked(work_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPLYRICS_SKIP_DEMO", "1")
    out = StringIO()
    call_command("prepare_demo_model", stdout=out)
    assert "skipped" in out.getvalue()
    assert not TrainingRun.objects.exists()


def test_a_shipped_demo_model_is_served_without_training_and_evaluated_like_any(
    work_dirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.demo import shipped
    from generator.evaluation import held_out_verses

    monkeypatch.delenv("RAPLYRICS_SKIP_DEMO", raising=False)
    corpus_file = write_corpus(tmp_path / "demo.txt", VERSES[:4])
    ship_dir = tmp_path / "shipped"
    monkeypatch.setattr(shipped, "SHIPPED_DIR", ship_dir)
    # make demo-model: train, then write the files where they ship.
    out = StringIO()
    call_command(
        "prepare_demo_model",
        "--corpus-file",
        str(corpus_file),
        "--retrain",
        "--export",
        str(ship_dir),
        stdout=out,
    )
    assert "exported" in out.getvalue()
    trained = ModelVersion.objects.get()
    assert trained.metrics["line_words"]["mean"] > 0
    held_out_before = held_out_verses(trained)
    ModelVersion.objects.all().delete()
    TrainingRun.objects.all().delete()

    # A fresh clone: the shipped files are registered, nothing is trained.
    out = StringIO()
    call_command("prepare_demo_model", "--corpus-file", str(corpus_file), stdout=out)
    assert "the shipped model" in out.getvalue()
    version = ModelVersion.objects.get()
    assert version.name == "demo" and version.is_active and version.line_index_key
    assert version.weights_sha256 == trained.weights_sha256
    assert version.metrics["line_words"] == trained.metrics["line_words"]
    run = version.training_run
    assert run is not None and run.status == TrainingRun.Status.DONE and not run.checkpoint_keys
    # The evaluation splits the corpus as the run did: the same verses held out.
    assert held_out_verses(version).held_out_verses == held_out_before.held_out_verses


def test_a_shipped_model_of_another_corpus_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.demo import shipped

    ship_dir = tmp_path / "shipped"
    with pytest.raises(shipped.ShippedModelError, match=r"lacks demo_weights\.hdf5"):
        shipped.shipped_model(ship_dir, corpus_file=write_corpus(tmp_path / "a.txt", VERSES))
    ship_dir.mkdir()
    for name in [*shipped.FILE_NAMES.values()]:
        (ship_dir / name).write_bytes(b"x")
    (ship_dir / shipped.TRAINING_FILE).write_text(
        '{"format": 1, "corpus_sha256": "0000"}', encoding="utf-8"
    )
    with pytest.raises(shipped.ShippedModelError, match=r"trained on another version of a\.txt"):
        shipped.shipped_model(ship_dir, corpus_file=tmp_path / "a.txt")

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

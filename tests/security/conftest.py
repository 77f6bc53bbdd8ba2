"""Fixtures the attack suite shares."""

from __future__ import annotations

import pytest

from generator.models import ModelVersion


@pytest.fixture
def unloadable_model(db: None) -> ModelVersion:
    """An active version whose files are gone: once admitted, generation fails fast with 503
    without loading a model (what is measured is what happens before the model)."""
    return ModelVersion.objects.create(
        name="files-gone",
        weights_key="missing/w.hdf5",
        vocab_key="missing/v.json",
        config_key="missing/c.json",
        weights_sha256="0" * 64,
        is_active=True,
    )

"""Registering a model version: all of its files in storage and a row, or neither."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.model_versions import ModelFiles, ModelVersionError, register_model_version
from generator.models import ModelVersion
from tests.s3server import FlakyS3Proxy, MotoS3Server

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(tmp_path: Path) -> ModelFiles:
    """Stand-in files: registration stores bytes, it does not read the model."""
    folder = tmp_path / "trio"
    folder.mkdir()
    for name, content in (
        ("demo_weights.hdf5", b"\x89HDF weights"),
        ("demo_vocab.json", b'{"a": 1}'),
        ("demo_config.json", b'{"rnn_size": 16}'),
    ):
        (folder / name).write_bytes(content)
    return ModelFiles(
        weights=folder / "demo_weights.hdf5",
        vocab=folder / "demo_vocab.json",
        config=folder / "demo_config.json",
    )


def test_it_stores_the_files_under_the_version_id(
    trio: ModelFiles, s3_artifacts: str, moto_s3: MotoS3Server
) -> None:
    version = register_model_version(name="first", files=trio, activate=True)

    prefix = f"models/{version.pk}/"
    assert version.weights_key == prefix + "demo_weights.hdf5"
    assert sorted(moto_s3.object_keys(s3_artifacts)) == [
        prefix + "demo_config.json",
        prefix + "demo_vocab.json",
        prefix + "demo_weights.hdf5",
    ]
    assert moto_s3.object_bytes(s3_artifacts, version.vocab_key) == b'{"a": 1}'
    assert ModelVersion.objects.get(is_active=True) == version


def test_an_upload_that_fails_midway_leaves_no_row_and_no_files(
    trio: ModelFiles, flaky_artifacts: FlakyS3Proxy, settings: Any, moto_s3: MotoS3Server
) -> None:
    settings.ARTIFACTS_S3_MAX_ATTEMPTS = 1
    flaky_artifacts.pass_next(1)  # the weights go up ...
    flaky_artifacts.fail_next(100)  # ... then storage refuses the vocabulary

    with pytest.raises(ModelVersionError, match="model files could not be stored") as failure:
        register_model_version(name="half", files=trio)

    assert "\n" not in str(failure.value)
    assert not ModelVersion.objects.exists()
    assert moto_s3.object_keys(settings.ARTIFACTS_S3_BUCKET) == []  # the weights removed again
    assert [r.status for r in flaky_artifacts.requests("PUT")] == [200, 503]
    assert [r.status for r in flaky_artifacts.requests("DELETE")] == [204]


def test_when_storage_cannot_even_delete_the_message_names_what_is_left(
    trio: ModelFiles, flaky_artifacts: FlakyS3Proxy, settings: Any, moto_s3: MotoS3Server
) -> None:
    settings.ARTIFACTS_S3_MAX_ATTEMPTS = 1
    flaky_artifacts.pass_next(1)
    flaky_artifacts.fail_next(100)
    flaky_artifacts.fail_next(100, method="DELETE")

    with pytest.raises(ModelVersionError, match=r"1 stored file\(s\) could not be removed"):
        register_model_version(name="stuck", files=trio)

    assert not ModelVersion.objects.exists()
    (left,) = moto_s3.object_keys(settings.ARTIFACTS_S3_BUCKET)
    assert left.endswith("/demo_weights.hdf5")


def test_a_duplicate_name_or_a_missing_file_is_refused_before_anything_is_stored(
    trio: ModelFiles, s3_artifacts: str, moto_s3: MotoS3Server, tmp_path: Path
) -> None:
    register_model_version(name="taken", files=trio)
    stored = moto_s3.object_keys(s3_artifacts)

    with pytest.raises(ModelVersionError, match="named 'taken' already exists"):
        register_model_version(name="taken", files=trio)
    missing = ModelFiles(weights=tmp_path / "nope.hdf5", vocab=trio.vocab, config=trio.config)
    with pytest.raises(ModelVersionError, match=r"the weights file .*nope\.hdf5 does not exist"):
        register_model_version(name="other", files=missing)

    assert moto_s3.object_keys(s3_artifacts) == stored
    assert ModelVersion.objects.count() == 1

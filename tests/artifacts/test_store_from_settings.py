"""store_from_settings picks and configures the store from Django-style settings attributes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from generator.artifacts import LocalArtifactStore, S3ArtifactStore, store_from_settings


def test_without_a_bucket_it_uses_the_artifacts_folder(tmp_path: Path) -> None:
    store = store_from_settings(
        SimpleNamespace(ARTIFACTS_DIR=tmp_path / "art", ARTIFACTS_S3_BUCKET="")
    )

    assert isinstance(store, LocalArtifactStore)
    assert store.root == tmp_path / "art"


def test_with_nothing_set_it_falls_back_to_var_artifacts(tmp_path: Path) -> None:
    store = store_from_settings(SimpleNamespace(BASE_DIR=tmp_path))

    assert isinstance(store, LocalArtifactStore)
    assert store.root == tmp_path / "var" / "artifacts"


def test_with_a_bucket_it_uses_s3_with_prefix_and_endpoint() -> None:
    store = store_from_settings(
        SimpleNamespace(
            ARTIFACTS_DIR="/unused",
            ARTIFACTS_S3_BUCKET="lyrics-checkpoints",
            ARTIFACTS_S3_PREFIX="raplyrics/",
            ARTIFACTS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
            ARTIFACTS_S3_MAX_ATTEMPTS=7,
        )
    )

    assert isinstance(store, S3ArtifactStore)
    assert store.uri("runs/1/a") == "s3://lyrics-checkpoints/raplyrics/runs/1/a"
    assert store.endpoint_url == "http://127.0.0.1:9000"
    assert store.retry.attempts == 7


def test_an_empty_endpoint_means_aws_itself() -> None:
    store = store_from_settings(
        SimpleNamespace(ARTIFACTS_S3_BUCKET="lyrics-checkpoints", ARTIFACTS_S3_ENDPOINT_URL="")
    )

    assert isinstance(store, S3ArtifactStore)
    assert store.endpoint_url is None
    assert store.uri("a") == "s3://lyrics-checkpoints/a"

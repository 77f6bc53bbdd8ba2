"""Stores under test: a local folder, and S3 (moto_server) reached directly or through the proxy."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.retry import RetryPolicy
from generator.artifacts import LocalArtifactStore, S3ArtifactStore
from tests.s3server import FlakyS3Proxy, MotoS3Server

# Real backoff shape, tiny delays: three tries cost milliseconds.
FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.001, max_delay_s=0.005)


@pytest.fixture
def local_store(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def s3_store(moto_s3: MotoS3Server, s3_bucket: str) -> S3ArtifactStore:
    return S3ArtifactStore(
        s3_bucket, prefix="raplyrics/", endpoint_url=moto_s3.endpoint_url, retry=FAST_RETRY
    )


@pytest.fixture
def flaky_store(flaky_s3: FlakyS3Proxy, s3_bucket: str) -> S3ArtifactStore:
    return S3ArtifactStore(
        s3_bucket, prefix="raplyrics/", endpoint_url=flaky_s3.endpoint_url, retry=FAST_RETRY
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> LocalArtifactStore | S3ArtifactStore:
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "artifacts")
    result: S3ArtifactStore = request.getfixturevalue("s3_store")
    return result


def write_file(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path

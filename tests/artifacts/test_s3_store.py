"""S3ArtifactStore against a real moto_server: layout in the bucket and configuration mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.artifacts import ArtifactStoreError, S3ArtifactStore
from tests.artifacts.conftest import FAST_RETRY, write_file
from tests.s3server import MotoS3Server


def test_it_stores_objects_under_the_prefix(
    s3_store: S3ArtifactStore, moto_s3: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> None:
    s3_store.put_file(write_file(tmp_path / "f", b"weights"), "runs/7/epoch-0001.ckpt")

    assert moto_s3.object_keys(s3_bucket) == ["raplyrics/runs/7/epoch-0001.ckpt"]
    assert moto_s3.object_bytes(s3_bucket, "raplyrics/runs/7/epoch-0001.ckpt") == b"weights"
    assert s3_store.uri("runs/7/epoch-0001.ckpt") == (
        f"s3://{s3_bucket}/raplyrics/runs/7/epoch-0001.ckpt"
    )


def test_it_ignores_objects_outside_its_prefix(
    s3_store: S3ArtifactStore, moto_s3: MotoS3Server, s3_bucket: str
) -> None:
    moto_s3.client.put_object(Bucket=s3_bucket, Key="other-app/runs/1/x", Body=b"x")
    moto_s3.client.put_object(Bucket=s3_bucket, Key="raplyrics/runs/", Body=b"")  # console folder

    assert s3_store.list("runs/") == []


def test_it_downloads_objects_written_by_other_tools(
    s3_store: S3ArtifactStore, moto_s3: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> None:
    # No sha256 metadata: only botocore's length check applies, and that must not fail.
    moto_s3.client.put_object(Bucket=s3_bucket, Key="raplyrics/imported.hdf5", Body=b"abc")

    s3_store.get_file("imported.hdf5", tmp_path / "imported.hdf5")

    assert (tmp_path / "imported.hdf5").read_bytes() == b"abc"


def test_a_store_without_prefix_uses_the_bucket_root(
    moto_s3: MotoS3Server, s3_bucket: str, tmp_path: Path
) -> None:
    store = S3ArtifactStore(s3_bucket, endpoint_url=moto_s3.endpoint_url, retry=FAST_RETRY)

    store.put_file(write_file(tmp_path / "f", b"x"), "runs/1/a")

    assert moto_s3.object_keys(s3_bucket) == ["runs/1/a"]
    assert store.list() == ["runs/1/a"]


@pytest.mark.parametrize("operation", ["put_file", "get_file", "exists", "list", "check"])
def test_a_missing_bucket_says_what_to_check_in_one_line(
    moto_s3: MotoS3Server, tmp_path: Path, operation: str
) -> None:
    store = S3ArtifactStore(
        "no-such-bucket-here", endpoint_url=moto_s3.endpoint_url, retry=FAST_RETRY
    )
    source = write_file(tmp_path / "f", b"x")
    calls = {
        "put_file": lambda: store.put_file(source, "runs/1/a"),
        "get_file": lambda: store.get_file("runs/1/a", tmp_path / "fetched"),
        "exists": lambda: store.exists("runs/1/a"),
        "list": lambda: store.list("runs/"),
        "check": store.check,
    }

    with pytest.raises(ArtifactStoreError) as raised:
        calls[operation]()

    message = str(raised.value)
    assert "'no-such-bucket-here' does not exist" in message
    assert "ARTIFACTS_S3_BUCKET" in message
    assert "\n" not in message
    assert source.read_bytes() == b"x"
    assert not (tmp_path / "fetched").exists()


def test_missing_credentials_say_what_to_set(
    moto_s3: MotoS3Server, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    store = S3ArtifactStore(s3_bucket, endpoint_url=moto_s3.endpoint_url, retry=FAST_RETRY)

    with pytest.raises(ArtifactStoreError, match="no usable AWS credentials") as raised:
        store.put_file(write_file(tmp_path / "f", b"x"), "runs/1/a")

    assert "AWS_ACCESS_KEY_ID" in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("bad_bucket", ["", "bucket/with/slash"])
def test_it_refuses_an_unusable_bucket_name(bad_bucket: str) -> None:
    with pytest.raises(ArtifactStoreError, match="ARTIFACTS_S3_BUCKET"):
        S3ArtifactStore(bad_bucket)

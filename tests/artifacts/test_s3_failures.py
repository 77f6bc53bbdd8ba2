"""S3 misbehaving on the wire (through FlakyS3Proxy): retries, atomic downloads, final errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.artifacts import ArtifactStoreError, S3ArtifactStore
from tests.artifacts.conftest import write_file
from tests.s3server import FlakyS3Proxy, MotoS3Server

CHECKPOINT_BYTES = os.urandom(200_000)


def test_uploads_are_retried_until_s3_recovers(
    flaky_store: S3ArtifactStore,
    flaky_s3: FlakyS3Proxy,
    moto_s3: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
) -> None:
    flaky_s3.fail_next(2, method="PUT", status=503, code="SlowDown")
    source = write_file(tmp_path / "epoch-0001.ckpt", CHECKPOINT_BYTES)

    flaky_store.put_file(source, "runs/1/epoch-0001.ckpt")

    assert [request.status for request in flaky_s3.requests("PUT")] == [503, 503, 200]
    assert moto_s3.object_bytes(s3_bucket, "raplyrics/runs/1/epoch-0001.ckpt") == CHECKPOINT_BYTES


def test_an_upload_whose_connection_drops_is_retried(
    flaky_store: S3ArtifactStore,
    flaky_s3: FlakyS3Proxy,
    moto_s3: MotoS3Server,
    s3_bucket: str,
    tmp_path: Path,
) -> None:
    flaky_s3.reset_next(1, method="PUT")

    flaky_store.put_file(write_file(tmp_path / "f", CHECKPOINT_BYTES), "runs/1/a")

    assert [request.fault for request in flaky_s3.requests("PUT")] == ["reset", None]
    assert moto_s3.object_bytes(s3_bucket, "raplyrics/runs/1/a") == CHECKPOINT_BYTES


def test_exhausted_upload_retries_raise_one_line_and_keep_the_local_file(
    flaky_store: S3ArtifactStore, flaky_s3: FlakyS3Proxy, s3_bucket: str, tmp_path: Path
) -> None:
    flaky_s3.fail_next(10, method="PUT", status=503, code="ServiceUnavailable")
    source = write_file(tmp_path / "epoch-0003.ckpt", CHECKPOINT_BYTES)

    with pytest.raises(ArtifactStoreError) as raised:
        flaky_store.put_file(source, "runs/1/epoch-0003.ckpt")

    message = str(raised.value)
    assert "\n" not in message
    assert f"s3://{s3_bucket}/raplyrics/runs/1/epoch-0003.ckpt" in message
    assert "after 3 attempts" in message
    assert "ServiceUnavailable (HTTP 503)" in message
    assert len(flaky_s3.requests("PUT")) == 3  # the configured bound, no hidden botocore retries
    assert source.read_bytes() == CHECKPOINT_BYTES
    assert not flaky_store.exists("runs/1/epoch-0003.ckpt")


def test_refused_credentials_fail_at_once_saying_what_to_check(
    flaky_store: S3ArtifactStore, flaky_s3: FlakyS3Proxy, tmp_path: Path
) -> None:
    flaky_s3.fail_next(1, method="PUT", status=403, code="InvalidAccessKeyId")
    source = write_file(tmp_path / "f", b"x")

    with pytest.raises(ArtifactStoreError) as raised:
        flaky_store.put_file(source, "runs/1/a")

    message = str(raised.value)
    assert "refused access" in message
    assert "InvalidAccessKeyId" in message
    assert "AWS_ACCESS_KEY_ID" in message
    assert "\n" not in message
    assert len(flaky_s3.requests("PUT")) == 1
    assert source.exists()


def test_a_download_cut_short_is_retried_and_lands_whole(
    flaky_store: S3ArtifactStore, flaky_s3: FlakyS3Proxy, tmp_path: Path
) -> None:
    flaky_store.put_file(write_file(tmp_path / "f", CHECKPOINT_BYTES), "runs/1/a")
    flaky_s3.truncate_next(1, method="GET")

    flaky_store.get_file("runs/1/a", tmp_path / "fetched" / "a.ckpt")

    assert [request.fault for request in flaky_s3.requests("GET")] == ["truncate", None]
    assert (tmp_path / "fetched" / "a.ckpt").read_bytes() == CHECKPOINT_BYTES
    assert os.listdir(tmp_path / "fetched") == ["a.ckpt"]


def test_a_failed_download_leaves_no_partial_file_and_the_old_file_intact(
    flaky_store: S3ArtifactStore, flaky_s3: FlakyS3Proxy, tmp_path: Path
) -> None:
    flaky_store.put_file(write_file(tmp_path / "f", CHECKPOINT_BYTES), "runs/1/a")
    previous = write_file(tmp_path / "fetched" / "a.ckpt", b"the previous checkpoint")
    flaky_s3.truncate_next(3, method="GET")

    with pytest.raises(ArtifactStoreError) as raised:
        flaky_store.get_file("runs/1/a", previous)

    assert "download of" in str(raised.value)
    assert "after 3 attempts" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert previous.read_bytes() == b"the previous checkpoint"
    assert os.listdir(tmp_path / "fetched") == ["a.ckpt"]


def test_a_download_with_damaged_bytes_is_caught_by_its_checksum(
    flaky_store: S3ArtifactStore, flaky_s3: FlakyS3Proxy, tmp_path: Path
) -> None:
    flaky_store.put_file(write_file(tmp_path / "f", CHECKPOINT_BYTES), "runs/1/a")
    flaky_s3.corrupt_next(3, method="GET")

    with pytest.raises(ArtifactStoreError, match="do not match their checksum"):
        flaky_store.get_file("runs/1/a", tmp_path / "fetched.ckpt")

    assert not (tmp_path / "fetched.ckpt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_reads_and_listings_are_retried_too(
    flaky_store: S3ArtifactStore, flaky_s3: FlakyS3Proxy, tmp_path: Path
) -> None:
    flaky_store.put_file(write_file(tmp_path / "f", b"x"), "runs/1/a")
    flaky_s3.fail_next(2, method="GET", status=500, code="InternalError")
    flaky_s3.fail_next(1, method="HEAD", status=503)
    flaky_s3.fail_next(1, method="DELETE", status=503)

    assert flaky_store.list("runs/") == ["runs/1/a"]  # GET ?list-type=2: two 500s, then OK
    assert flaky_store.exists("runs/1/a")
    flaky_store.delete("runs/1/a")

    assert not flaky_store.exists("runs/1/a")
    assert [r.status for r in flaky_s3.requests("DELETE")] == [503, 204]

"""S3ArtifactStore: artifacts as objects in an S3 (or S3-compatible) bucket, via boto3.

Every request goes through one translation step that sorts botocore's failures into three kinds:
transient (connection lost, 5xx, throttling, a checksum mismatch) which are retried with backoff;
"not found" (ArtifactNotFound); and configuration problems (missing bucket, refused credentials)
which fail at once with a message saying what to check.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from botocore.loaders import Loader, create_loader

from common.files import CHUNK_BYTES, atomic_write, digest_file
from common.retry import RetryPolicy
from generator.artifacts.errors import ArtifactNotFound, ArtifactStoreError
from generator.artifacts.keys import validate_key, validate_prefix
from generator.artifacts.retry import TransientError, call_with_retries

T = TypeVar("T")

# boto3 clients are generated at run time; without the optional stubs package they are Any.
S3Client = Any

# A single PUT stores at most 5 GiB; checkpoints are a few MB, so multipart is not worth its
# extra failure modes here.
MAX_SINGLE_PUT_BYTES = 5 * 1024**3

# Metadata key holding the hex SHA-256 of the uploaded file, checked after every download.
SHA256_METADATA = "sha256"

_TRANSIENT_CODES = frozenset(
    {
        "BadDigest",  # the body was damaged in transit: S3 checked our Content-MD5
        "IncompleteBody",
        "InternalError",
        "RequestTimeout",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "XAmzContentSHA256Mismatch",
    }
)
_CREDENTIAL_CODES = frozenset(
    {
        "AccessDenied",
        "AllAccessDisabled",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "TokenRefreshRequired",
    }
)
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})


_loader_lock = threading.Lock()
_shared_loader: Loader | None = None


def _new_boto3_session() -> boto3.session.Session:
    """A fresh session (credentials and region read now) sharing one parsed-model cache.

    Parsing botocore's service models is most of the ~0.5 s a new client costs; the loader that
    caches them is safe to share, unlike a session, which would pin the first credentials.
    """
    global _shared_loader
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = create_loader()
        botocore_session = botocore.session.get_session()
        botocore_session.register_component("data_loader", _shared_loader)
    return boto3.session.Session(botocore_session=botocore_session)


def default_client(*, endpoint_url: str | None) -> S3Client:
    config = Config(
        # Retries happen in this module (bounded, with jitter and one-line reasons); botocore's
        # own retries inside each of ours would multiply the attempts and hide the causes.
        retries={"total_max_attempts": 1},
        connect_timeout=10,
        read_timeout=60,
        # We send Content-MD5 ourselves, which every S3-compatible server understands; the newer
        # default CRC trailers are refused by some of them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # S3-compatible servers (moto, MinIO) rarely have wildcard DNS for virtual-host buckets.
        s3={"addressing_style": "path"} if endpoint_url else None,
    )
    return _new_boto3_session().client("s3", endpoint_url=endpoint_url, config=config)


class S3ArtifactStore:
    """Key "runs/7/epoch-0001.ckpt" is the object `s3://<bucket>/<prefix>/runs/7/epoch-0001.ckpt`."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        client: S3Client | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not bucket or "/" in bucket:
            raise ArtifactStoreError(
                f"invalid S3 bucket name {bucket!r}; check ARTIFACTS_S3_BUCKET"
            )
        self.bucket = bucket
        stripped_prefix = prefix.strip("/")
        if stripped_prefix:
            validate_key(stripped_prefix)
        self.prefix = f"{stripped_prefix}/" if stripped_prefix else ""
        self.endpoint_url = endpoint_url
        self.retry = retry if retry is not None else RetryPolicy()
        self._client = client
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3ArtifactStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    @property
    def client(self) -> S3Client:
        # Created on first use so building a store (e.g. at settings import) costs nothing.
        with self._client_lock:
            if self._client is None:
                self._client = default_client(endpoint_url=self.endpoint_url)
            return self._client

    # --- the ArtifactStore protocol -------------------------------------------------------

    def put_file(self, local_path: Path | str, key: str) -> None:
        source = Path(local_path)
        object_key = self._object_key(key)
        if not source.is_file():
            raise ArtifactStoreError(f"cannot store {source} as {self.uri(key)}: no such file")
        try:
            digest = digest_file(source)
        except OSError as error:
            raise ArtifactStoreError(f"cannot read {source}: {error.strerror or error}") from error
        if digest.size > MAX_SINGLE_PUT_BYTES:
            raise ArtifactStoreError(
                f"cannot store {source} ({digest.size} bytes) as {self.uri(key)}: "
                "a single upload is limited to 5 GiB"
            )

        def upload_and_confirm() -> None:
            with source.open("rb") as body:
                self._request(
                    lambda: self.client.put_object(
                        Bucket=self.bucket,
                        Key=object_key,
                        Body=body,
                        ContentLength=digest.size,
                        ContentMD5=digest.md5_base64,
                        Metadata={SHA256_METADATA: digest.sha256_hex},
                    ),
                    key=key,
                )
            # The PUT answered 200; read back what is stored so "returned" means "confirmed".
            try:
                head = self._request(
                    lambda: self.client.head_object(Bucket=self.bucket, Key=object_key), key=key
                )
            except ArtifactNotFound as error:
                raise TransientError("the object was not readable right after upload") from error
            stored_size = head.get("ContentLength")
            if stored_size != digest.size:
                raise TransientError(
                    f"stored size is {stored_size} bytes, the local file has {digest.size}"
                )
            stored_sha256 = head.get("Metadata", {}).get(SHA256_METADATA)
            if stored_sha256 != digest.sha256_hex:
                raise TransientError("the stored checksum differs from the local file's")

        call_with_retries(
            upload_and_confirm,
            policy=self.retry,
            describe=f"upload of {source} to {self.uri(key)}",
        )

    def get_file(self, key: str, local_path: Path | str) -> None:
        destination = Path(local_path)
        object_key = self._object_key(key)

        def download() -> None:
            response = self._request(
                lambda: self.client.get_object(Bucket=self.bucket, Key=object_key), key=key
            )
            expected_sha256 = response.get("Metadata", {}).get(SHA256_METADATA)
            body = response["Body"]
            sha256 = hashlib.sha256()
            try:
                with atomic_write(destination) as destination_file:
                    for chunk in body.iter_chunks(CHUNK_BYTES):
                        sha256.update(chunk)
                        destination_file.write(chunk)
                    # Objects written by other tools carry no checksum; the length check that
                    # botocore does at the end of the stream is then all we have.
                    if expected_sha256 is not None and sha256.hexdigest() != expected_sha256:
                        raise TransientError("the downloaded bytes do not match their checksum")
            except (HTTPClientError, BotoConnectionError, IncompleteReadError) as error:
                raise TransientError(_one_line(str(error))) from error
            except OSError as error:
                raise ArtifactStoreError(
                    f"cannot write {destination}: {error.strerror or error}"
                ) from error
            finally:
                body.close()

        call_with_retries(
            download,
            policy=self.retry,
            describe=f"download of {self.uri(key)} to {destination}",
        )

    def exists(self, key: str) -> bool:
        object_key = self._object_key(key)

        def head() -> bool:
            try:
                self._request(
                    lambda: self.client.head_object(Bucket=self.bucket, Key=object_key), key=key
                )
            except ArtifactNotFound:
                return False
            return True

        return call_with_retries(head, policy=self.retry, describe=f"lookup of {self.uri(key)}")

    def list(self, prefix: str = "") -> list[str]:
        return list(self.sizes(prefix))

    def sizes(self, prefix: str = "") -> dict[str, int]:
        validate_prefix(prefix)
        object_prefix = self.prefix + prefix

        def list_all() -> dict[str, int]:
            found: dict[str, int] = {}
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=object_prefix
            )
            for page in self._request(lambda: list(pages), key=None):
                for entry in page.get("Contents", []):
                    object_key: str = entry["Key"]
                    if object_key.endswith("/"):
                        continue  # a "folder" marker some consoles create, not an artifact
                    found[object_key[len(self.prefix) :]] = int(entry.get("Size", 0))
            return dict(sorted(found.items()))

        return call_with_retries(
            list_all,
            policy=self.retry,
            describe=f"listing of s3://{self.bucket}/{object_prefix}",
        )

    def delete(self, key: str) -> None:
        object_key = self._object_key(key)
        call_with_retries(
            lambda: self._request(
                lambda: self.client.delete_object(Bucket=self.bucket, Key=object_key), key=key
            ),
            policy=self.retry,
            describe=f"delete of {self.uri(key)}",
        )

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._object_key(key)}"

    def check(self) -> None:
        def head_bucket() -> None:
            if not self._bucket_exists():
                raise self._missing_bucket_error()

        call_with_retries(head_bucket, policy=self.retry, describe=f"check of s3://{self.bucket}")

    # --- translation of botocore failures ---------------------------------------------------

    def _object_key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _request(self, operation: Callable[[], T], *, key: str | None) -> T:
        """Run one S3 request; raise TransientError, ArtifactNotFound or ArtifactStoreError."""
        try:
            return operation()
        except ClientError as error:
            raise self._translate_client_error(error, key=key) from error
        except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError) as error:
            raise ArtifactStoreError(
                f"no usable AWS credentials for s3://{self.bucket} ({_one_line(str(error))}); "
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role"
            ) from error
        except (HTTPClientError, BotoConnectionError, IncompleteReadError) as error:
            raise TransientError(_one_line(str(error))) from error
        except BotoCoreError as error:
            raise ArtifactStoreError(
                f"S3 request for s3://{self.bucket} failed: {_one_line(str(error))}"
            ) from error

    def _translate_client_error(self, error: ClientError, *, key: str | None) -> Exception:
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        message = _one_line(str(error.response.get("Error", {}).get("Message", "")))
        target = self.uri(key) if key is not None else f"s3://{self.bucket}"
        if code == "NoSuchBucket":
            return self._missing_bucket_error()
        if code in _NOT_FOUND_CODES or (status == 404 and key is not None):
            # HEAD answers a bare 404 whether the key or the whole bucket is missing.
            if code != "NoSuchKey" and not self._bucket_exists():
                return self._missing_bucket_error()
            return ArtifactNotFound(f"artifact {key!r} not found at {target}")
        if code in _CREDENTIAL_CODES or status == 403:
            return ArtifactStoreError(
                f"S3 refused access to {target} ({code or status}); check the AWS credentials "
                "(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the instance role) and that they "
                f"may read and write bucket {self.bucket!r}"
            )
        if code in ("PermanentRedirect", "AuthorizationHeaderMalformed") or status == 301:
            return ArtifactStoreError(
                f"bucket {self.bucket!r} is in another region ({code or status}); "
                "set AWS_DEFAULT_REGION to the bucket's region"
            )
        if code in _TRANSIENT_CODES or status >= 500 or status == 429:
            detail = f": {message}" if message else ""
            return TransientError(f"S3 answered {code or 'an error'} (HTTP {status}){detail}")
        return ArtifactStoreError(
            f"S3 refused the request for {target}: {code} (HTTP {status}) {message}".rstrip()
        )

    def _bucket_exists(self) -> bool:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise self._translate_client_error(error, key=None) from error
        except (HTTPClientError, BotoConnectionError, IncompleteReadError) as error:
            raise TransientError(_one_line(str(error))) from error
        return True

    def _missing_bucket_error(self) -> ArtifactStoreError:
        where = self.endpoint_url or "AWS"
        return ArtifactStoreError(
            f"S3 bucket {self.bucket!r} does not exist at {where}; create it, or check "
            "ARTIFACTS_S3_BUCKET and ARTIFACTS_S3_ENDPOINT_URL"
        )


def _one_line(text: str) -> str:
    # Trailing periods would clash with the "; retrying" and "; check ..." that follow.
    return " ".join(text.split()).rstrip(".")

"""The ArtifactStore protocol: what training and serving may ask of any artifact storage."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class ArtifactStore(Protocol):
    """Named files (checkpoints, model trios) kept somewhere durable.

    Keys are relative '/'-separated names such as "runs/42/epoch-0003.ckpt". Every method raises
    ArtifactStoreError with a one-line message when the storage fails, and ArtifactNotFound
    (a subclass) when a key it must read is missing.
    """

    def put_file(self, local_path: Path | str, key: str) -> None:
        """Store a copy of `local_path` under `key`, replacing any previous one.

        Readers see the old object or the new one, never a part. When this returns the copy is
        confirmed stored; `local_path` is left in place for the caller to delete.
        """
        ...

    def get_file(self, key: str, local_path: Path | str) -> None:
        """Write the artifact to `local_path` (parents created) via `<name>.*.part` and a rename.

        On failure `local_path` is untouched (a previous file there stays) and no part remains.
        """
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> list[str]:
        """Keys starting with `prefix` (plain string prefix, as S3 does), sorted."""
        ...

    def sizes(self, prefix: str = "") -> dict[str, int]:
        """The same keys as `list`, in the same order, each with its size in bytes."""
        ...

    def delete(self, key: str) -> None:
        """Remove the artifact; deleting a missing key is not an error (as on S3)."""
        ...

    def uri(self, key: str) -> str:
        """Where the artifact lives, for logs and records: file:///... or s3://bucket/..."""
        ...

    def check(self) -> None:
        """Raise ArtifactStoreError now if the store cannot be used (missing bucket, bad keys)."""
        ...

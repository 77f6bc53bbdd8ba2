"""LocalArtifactStore: artifacts as plain files under one folder (the default, and for tests)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from common.files import PART_SUFFIX, copy_atomically
from generator.artifacts.errors import ArtifactNotFound, ArtifactStoreError
from generator.artifacts.keys import validate_key, validate_prefix


class LocalArtifactStore:
    """Key "runs/7/epoch-0001.ckpt" is the file `<root>/runs/7/epoch-0001.ckpt`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().absolute()

    def __repr__(self) -> str:
        return f"LocalArtifactStore({str(self.root)!r})"

    def put_file(self, local_path: Path | str, key: str) -> None:
        source = Path(local_path)
        destination = self._path(key)
        if not source.is_file():
            raise ArtifactStoreError(f"cannot store {source} as {self.uri(key)}: no such file")
        if destination.exists() and destination.samefile(source):
            return  # already in place; copying a file onto itself would truncate it
        try:
            copy_atomically(source=source, destination=destination)
        except OSError as error:
            raise ArtifactStoreError(
                f"storing {source} as {self.uri(key)} failed: {_os_reason(error)}"
            ) from error

    def get_file(self, key: str, local_path: Path | str) -> None:
        source = self._path(key)
        if not source.is_file():
            raise ArtifactNotFound(f"artifact {key!r} not found in {self.root}")
        try:
            copy_atomically(source=source, destination=Path(local_path))
        except OSError as error:
            raise ArtifactStoreError(
                f"fetching {self.uri(key)} to {local_path} failed: {_os_reason(error)}"
            ) from error

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        return list(self.sizes(prefix))

    def sizes(self, prefix: str = "") -> dict[str, int]:
        validate_prefix(prefix)
        # Walk only the deepest folder the prefix names, then filter by the string prefix, so
        # "runs/4" matches "runs/4/…" and "runs/42/…" as it would on S3.
        folder_part = prefix.rpartition("/")[0]
        start = self.root / folder_part if folder_part else self.root
        if not start.is_dir():
            return {}
        found: dict[str, int] = {}
        for folder, _subfolders, file_names in os.walk(start):
            for file_name in file_names:
                if file_name.endswith(PART_SUFFIX):
                    continue  # an unfinished write, not an artifact yet
                path = Path(folder) / file_name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    with contextlib.suppress(FileNotFoundError):  # deleted while we walked
                        found[key] = path.stat().st_size
        return dict(sorted(found.items()))

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as error:
            raise ArtifactStoreError(
                f"deleting {self.uri(key)} failed: {_os_reason(error)}"
            ) from error

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ArtifactStoreError(
                f"cannot create artifact folder {self.root}: {_os_reason(error)}; "
                "check ARTIFACTS_DIR"
            ) from error
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise ArtifactStoreError(
                f"artifact folder {self.root} is not writable; check ARTIFACTS_DIR"
            )

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)


def _os_reason(error: OSError) -> str:
    return error.strerror or str(error)

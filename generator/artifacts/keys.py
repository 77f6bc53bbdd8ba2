"""Artifact keys: '/'-separated relative names, the same in every store."""

from __future__ import annotations

from common.files import PART_SUFFIX
from generator.artifacts.errors import ArtifactStoreError

# Temporary files end with PART_SUFFIX; a key may not, so listings can skip unfinished writes.


def validate_key(key: str) -> str:
    """Return `key` unchanged if it can name an artifact in any store, else raise one line.

    A key that escaped the local root ('..'), named a folder ('a/') or looked like an
    unfinished write ('x.part') would behave differently in the local and S3 stores.
    """
    reason = _key_problem(key)
    if reason is not None:
        raise ArtifactStoreError(f"invalid artifact key {key!r}: {reason}")
    return key


def validate_prefix(prefix: str) -> str:
    """Return `prefix` unchanged if listing by it is safe ('' lists everything)."""
    if prefix.startswith("/") or "\\" in prefix or ".." in prefix.split("/"):
        raise ArtifactStoreError(
            f"invalid artifact prefix {prefix!r}: use a relative '/'-separated prefix"
        )
    return prefix


def _key_problem(key: str) -> str | None:
    if not key:
        return "it is empty"
    if key.startswith("/"):
        return "it must be relative (no leading '/')"
    if "\\" in key:
        return "use '/' as the separator"
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "it has an empty, '.' or '..' segment"
    if key.endswith(PART_SUFFIX):
        return f"the suffix {PART_SUFFIX!r} is reserved for unfinished writes"
    return None

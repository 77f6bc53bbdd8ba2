"""Exceptions raised by artifact stores; every message is one line a person can act on."""

from __future__ import annotations


class ArtifactStoreError(Exception):
    """Storage failed or is misconfigured: missing bucket, refused credentials, retries used up."""


class ArtifactNotFound(ArtifactStoreError):
    """The requested key is not in the store."""

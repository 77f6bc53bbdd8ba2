"""Artifact storage (checkpoints, model files): a local folder or an S3 bucket, one protocol.

Django-free: the web app builds a store with `store_from_settings(django.conf.settings)`.
"""

from __future__ import annotations

from generator.artifacts.errors import ArtifactNotFound, ArtifactStoreError
from generator.artifacts.factory import store_from_settings
from generator.artifacts.local import LocalArtifactStore
from generator.artifacts.s3 import S3ArtifactStore
from generator.artifacts.store import ArtifactStore

__all__ = [
    "ArtifactNotFound",
    "ArtifactStore",
    "ArtifactStoreError",
    "LocalArtifactStore",
    "S3ArtifactStore",
    "store_from_settings",
]

"""store_from_settings: pick the artifact store the Django settings describe (no Django import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.retry import RetryPolicy
from generator.artifacts.local import LocalArtifactStore
from generator.artifacts.s3 import S3ArtifactStore
from generator.artifacts.store import ArtifactStore


def store_from_settings(settings: Any) -> ArtifactStore:
    """S3 when ARTIFACTS_S3_BUCKET is set, else a local folder.

    Reads (all optional): ARTIFACTS_S3_BUCKET, ARTIFACTS_S3_PREFIX, ARTIFACTS_S3_ENDPOINT_URL,
    ARTIFACTS_S3_MAX_ATTEMPTS, ARTIFACTS_DIR (default `<BASE_DIR>/var/artifacts`). Takes any
    object with those attributes (django.conf.settings, a SimpleNamespace in tests).
    """
    bucket = getattr(settings, "ARTIFACTS_S3_BUCKET", None) or ""
    if bucket:
        return S3ArtifactStore(
            bucket=bucket,
            prefix=getattr(settings, "ARTIFACTS_S3_PREFIX", None) or "",
            endpoint_url=getattr(settings, "ARTIFACTS_S3_ENDPOINT_URL", None) or None,
            retry=RetryPolicy(attempts=int(getattr(settings, "ARTIFACTS_S3_MAX_ATTEMPTS", 5))),
        )
    artifacts_dir = getattr(settings, "ARTIFACTS_DIR", None)
    if not artifacts_dir:
        artifacts_dir = Path(getattr(settings, "BASE_DIR", ".")) / "var" / "artifacts"
    return LocalArtifactStore(artifacts_dir)

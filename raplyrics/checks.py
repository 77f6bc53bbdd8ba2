"""The machine's side of the settings, checked by `manage.py check --deploy` (which
`deploy/manage.sh` runs as the services' user): every folder the site writes can be written.

Without it a folder the services cannot write shows up later and elsewhere: as a 500 on the
first API request that counts against a quota (the file cache), or as a failed training run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"


def written_folders() -> dict[str, Path]:
    """What the settings make the site write to the local disk, by the setting to change."""
    folders = {"RAPLYRICS_DATA_DIR": Path(settings.DATA_DIR)}
    cache = settings.CACHES["default"]
    if cache["BACKEND"] == FILE_CACHE:
        folders["the file cache (REDIS_CACHE_URL unset)"] = Path(cache["LOCATION"])
    if not settings.ARTIFACTS_S3_BUCKET:
        folders["ARTIFACTS_DIR"] = Path(settings.ARTIFACTS_DIR)
    return folders


def why_not_writable(folder: Path) -> str | None:
    """None when `folder` exists (made if need be) and a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return error.strerror or str(error)
    return None


@register(deploy=True)
def check_written_folders(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for setting, folder in written_folders().items():
        reason = why_not_writable(folder)
        if reason is not None:
            errors.append(
                Error(
                    f"{setting}: {folder} cannot be written ({reason})",
                    hint="give the services' user that folder, or point the setting elsewhere",
                    id="raplyrics.E001",
                )
            )
    return errors

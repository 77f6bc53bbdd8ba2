"""Registering trained or imported models as versions, and choosing the one the API serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from generator.models import ModelVersion, TrainingRun
from lyrics.models import Corpus

if TYPE_CHECKING:
    from generator.artifacts import ArtifactStore


class ModelVersionError(Exception):
    """A model version cannot be registered or activated; the message says why in one line."""


@dataclass(frozen=True)
class ModelFiles:
    """A textgenrnn trio on local disk, plus the corpus line index when there is one."""

    weights: Path
    vocab: Path
    config: Path
    line_index: Path | None = None


def register_model_version(
    *,
    name: str,
    files: ModelFiles,
    source: str = ModelVersion.Source.TRAINED,
    corpus: Corpus | None = None,
    training_run: TrainingRun | None = None,
    metrics: dict[str, Any] | None = None,
    activate: bool = False,
) -> ModelVersion:
    """Upload the files to artifact storage under `models/<id>/` and record the version.

    The row is created first (to get its id), the uploads happen, and only then is the version
    committed: a failed upload leaves no version pointing at missing files, and the files of
    this attempt that did go up are deleted again (as far as the store lets us).
    """
    from common.files import digest_file
    from generator.artifacts import ArtifactStoreError, store_from_settings

    if ModelVersion.objects.filter(name=name).exists():
        raise ModelVersionError(f"a model version named {name!r} already exists")
    for role, path in (
        ("weights", files.weights),
        ("vocab", files.vocab),
        ("config", files.config),
    ):
        if not Path(path).is_file():
            raise ModelVersionError(f"the {role} file {path} does not exist")
    store = store_from_settings(settings)
    with transaction.atomic():
        try:
            version = ModelVersion.objects.create(
                name=name,
                source=source,
                corpus=corpus,
                training_run=training_run,
                metrics=metrics or {},
                weights_sha256=digest_file(Path(files.weights)).sha256_hex,
            )
        except IntegrityError:
            raise ModelVersionError(f"a model version named {name!r} already exists") from None
        prefix = f"models/{version.pk}/"
        uploads = {
            "weights_key": files.weights,
            "vocab_key": files.vocab,
            "config_key": files.config,
        }
        if files.line_index is not None:
            uploads["line_index_key"] = files.line_index
        stored: list[str] = []
        try:
            for field, path in uploads.items():
                key = prefix + Path(path).name
                store.put_file(Path(path), key)
                stored.append(key)
                setattr(version, field, key)
        except ArtifactStoreError as error:
            left = _delete_quietly(store, stored)
            note = f" ({len(left)} stored file(s) could not be removed: {', '.join(left)})"
            raise ModelVersionError(
                f"model files could not be stored: {error}" + (note if left else "")
            ) from None
        version.save()
        if activate:
            activate_model_version(version=version)
    return version


def _delete_quietly(store: ArtifactStore, keys: list[str]) -> list[str]:
    """Delete what a failed registration uploaded; returns the keys that could not be."""
    from generator.artifacts import ArtifactStoreError

    left = []
    for key in keys:
        try:
            store.delete(key)
        except ArtifactStoreError:
            left.append(key)
    return left


@transaction.atomic
def activate_model_version(*, version: ModelVersion) -> ModelVersion:
    """Serve this version from the next request on (workers notice without a restart)."""
    ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    version.is_active = True
    version.activated_at = timezone.now()
    version.save(update_fields=["is_active", "activated_at"])
    return version


@transaction.atomic
def deactivate_model_versions() -> int:
    """Serve the pretrained model again."""
    return ModelVersion.objects.filter(is_active=True).update(is_active=False)

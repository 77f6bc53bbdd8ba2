"""Training runs and the model versions they produce (the ML core itself lives in generator/ml)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from generator.ml.config import TextKind
from lyrics.models import Corpus


class TrainingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        INTERRUPTED = "interrupted", "interrupted"
        FAILED = "failed", "failed"
        DONE = "done", "done"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    corpus = models.ForeignKey(
        Corpus, on_delete=models.PROTECT, null=True, blank=True, related_name="training_runs"
    )
    corpus_file = models.CharField(
        max_length=1000,
        blank=True,
        help_text="The text file trained on (a corpus's or a given one).",
    )
    corpus_sha256 = models.CharField(max_length=64, blank=True)
    from_pretrained = models.BooleanField(default=True)
    hyperparameters = models.JSONField(default=dict, help_text="Model and training configuration.")
    seed = models.BigIntegerField(default=0)
    epochs = models.PositiveIntegerField(help_text="Epochs asked for.")
    epochs_done = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    epoch_metrics = models.JSONField(
        default=list,
        help_text="Per epoch: epoch, loss, val_loss, windows_per_second, seconds.",
    )
    windows_per_second = models.FloatField(null=True, blank=True)
    wall_seconds = models.FloatField(default=0.0)
    host = models.CharField(max_length=255, blank=True)
    device = models.CharField(max_length=100, blank=True)
    checkpoint_keys = models.JSONField(default=list, help_text="Artifact keys, oldest first.")
    error = models.TextField(blank=True)
    best_epoch = models.PositiveIntegerField(
        null=True, blank=True, help_text="The epoch registered: lowest held-out loss."
    )
    stop_reason = models.CharField(
        max_length=300, blank=True, help_text="Why the run ended where it did (one line)."
    )
    progress = models.JSONField(
        default=dict,
        blank=True,
        help_text="While running: epoch, batch, batches, windows_per_second, eta_seconds.",
    )
    activate_when_done = models.BooleanField(
        default=False, help_text="Serve the resulting model version once the run is done."
    )
    stop_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="Staff asked the run to stop (checkpoint, interrupted)."
    )
    celery_task_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The database itself refuses a second queued/running run on the same corpus.
            models.UniqueConstraint(
                fields=["corpus"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_training_run_per_corpus",
            ),
            models.CheckConstraint(
                condition=Q(epochs__gte=1), name="training_run_at_least_one_epoch"
            ),
        ]
        # Starting a run spends hours of a machine: not implied by seeing runs.
        permissions = [("start_trainingrun", "Can start training runs")]

    def __str__(self) -> str:
        return f"run #{self.pk} ({self.status}, {self.epochs_done}/{self.epochs} epochs)"

    @property
    def objective(self) -> str:
        return str(self.hyperparameters.get("training", {}).get("objective", "last"))

    @property
    def texts(self) -> TextKind:
        """What a training text is: "verses" or "lines" (runs from before the choice: lines)."""
        return "verses" if self.hyperparameters.get("texts") == "verses" else "lines"

    @property
    def artifact_prefix(self) -> str:
        return f"runs/{self.pk}/"

    @property
    def work_dir(self) -> Path:
        """This machine's folder for the run: local checkpoints, fetched files, its log."""
        return Path(settings.DATA_DIR) / "training" / f"run-{self.pk}"

    @staticmethod
    def silent_before() -> datetime.datetime:
        """A running run last heard from (updated_at, the heartbeat) before this is silent."""
        return timezone.now() - datetime.timedelta(seconds=settings.TRAINING_SILENT_AFTER_S)

    @property
    def is_silent(self) -> bool:
        """Running, but its process has not been heard from for TRAINING_SILENT_AFTER_S: its
        machine vanished without a SIGTERM, and the run may be taken over (--resume)."""
        return self.status == self.Status.RUNNING and self.updated_at < self.silent_before()


class ModelVersionQuerySet(models.QuerySet["ModelVersion"]):
    def active(self) -> ModelVersion | None:
        return self.filter(is_active=True).first()


class ModelVersion(models.Model):
    class Source(models.TextChoices):
        TRAINED = "trained", "trained here"
        IMPORTED = "imported", "imported textgenrnn files"

    name = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.TRAINED)
    training_run = models.OneToOneField(
        TrainingRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="model_version",
    )
    corpus = models.ForeignKey(
        Corpus, on_delete=models.SET_NULL, null=True, blank=True, related_name="model_versions"
    )
    weights_key = models.CharField(max_length=500, help_text="Artifact key of *_weights.hdf5.")
    vocab_key = models.CharField(max_length=500, help_text="Artifact key of *_vocab.json.")
    config_key = models.CharField(max_length=500, help_text="Artifact key of *_config.json.")
    weights_sha256 = models.CharField(max_length=64)
    line_index_key = models.CharField(
        max_length=500,
        blank=True,
        help_text="Artifact key of the corpus line index (the originality filter).",
    )
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False, help_text="Served by the API.")
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_model_version"
            ),
        ]
        # Serving is a change to the whole site, not to one row: its own permission.
        permissions = [("activate_modelversion", "Can activate model versions")]

    def __str__(self) -> str:
        return self.name


class ModelEvaluation(models.Model):
    """One evaluation of a model version (generator/evaluation.py): the measures of verses it
    wrote beside those of its corpus's held-out verses, with how they were written."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="evaluations")
    settings = models.JSONField(
        default=dict, help_text="How the verses were written: verses, first seed, recipe, lines."
    )
    measures = models.JSONField(
        default=dict,
        help_text='{"model": {...}, "corpus": {...}}: one row of measures each '
        "(generator/ml/evaluation/table.py names them).",
    )
    samples = models.JSONField(default=list, help_text="The first verses written, as lines.")
    held_out_verses = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0, help_text="Time the evaluation took.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["version", "-created_at"], name="evaluation_latest")]

    def __str__(self) -> str:
        return f"evaluation #{self.pk} of {self.version_id}"

    @property
    def model_row(self) -> dict[str, Any]:
        return dict(self.measures.get("model") or {})

    @property
    def corpus_row(self) -> dict[str, Any]:
        return dict(self.measures.get("corpus") or {})

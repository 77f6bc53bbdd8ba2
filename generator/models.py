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
    def may_stop_early(self) -> bool:
        """Whether the run has a patience: it may end before its planned epochs."""
        return bool(self.hyperparameters.get("training", {}).get("patience"))

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

    # -- its status changes (generator/training/runner.py drives them) ---------------------

    def claim(self, *, allowed: tuple[str, ...], or_silent: bool, host: str, device: str) -> bool:
        """Mark the run running on `host` if its status is one of `allowed` (or it is running
        but silent, with `or_silent`), in one UPDATE: two workers handed the same run cannot
        both claim it. False when it could not be claimed; the row is re-read either way.
        Raises IntegrityError when its corpus already has another active run."""
        now = timezone.now()
        claimable = Q(status__in=allowed)
        if or_silent:
            claimable |= Q(status=self.Status.RUNNING, updated_at__lt=self.silent_before())
        claimed = TrainingRun.objects.filter(claimable, pk=self.pk).update(
            status=self.Status.RUNNING,
            host=host,
            device=device,
            started_at=now,
            finished_at=None,
            error="",
            updated_at=now,
        )
        self.refresh_from_db()
        return bool(claimed)

    def continue_from(self, *, epochs: int, epochs_done: int, epoch_metrics: list[Any]) -> None:
        """A resumed session's starting point (its checkpoint's); the earlier error and stop
        request are spent."""
        self.epochs, self.epochs_done, self.epoch_metrics = epochs, epochs_done, epoch_metrics
        self.error = ""
        self.stop_requested_at = None
        self.save(
            update_fields=[
                "epochs",
                "epochs_done",
                "epoch_metrics",
                "error",
                "stop_requested_at",
                "updated_at",
            ]
        )

    def record_checkpoint(
        self,
        key: str,
        *,
        epochs_done: int,
        wall_seconds: float,
        metrics_row: dict[str, Any] | None,
        windows_per_second: float | None,
    ) -> None:
        """A checkpoint is stored under `key`; `metrics_row` (None mid-epoch) replaces any
        earlier row of its epoch."""
        if key not in self.checkpoint_keys:
            self.checkpoint_keys = [*self.checkpoint_keys, key]
        self.epochs_done = epochs_done
        self.wall_seconds = wall_seconds
        fields = ["checkpoint_keys", "epochs_done", "wall_seconds", "updated_at"]
        if metrics_row is not None:
            rows = [row for row in self.epoch_metrics if row.get("epoch") != metrics_row["epoch"]]
            self.epoch_metrics = [*rows, metrics_row]
            self.windows_per_second = windows_per_second
            fields += ["epoch_metrics", "windows_per_second"]
        self.save(update_fields=fields)

    def beat(self, progress: dict[str, Any]) -> datetime.datetime | None:
        """The heartbeat: write the progress (and updated_at, see `is_silent`); return when a
        stop was asked for from the admin, if it was."""
        TrainingRun.objects.filter(pk=self.pk).update(updated_at=timezone.now(), progress=progress)
        stop_requested_at: datetime.datetime | None = (
            TrainingRun.objects.filter(pk=self.pk)
            .values_list("stop_requested_at", flat=True)
            .first()
        )
        return stop_requested_at

    def mark_interrupted(self, *, wall_seconds: float, stop_reason: str) -> None:
        self._finish(self.Status.INTERRUPTED, wall_seconds=wall_seconds, stop_reason=stop_reason)

    def mark_done(self, *, wall_seconds: float, stop_reason: str, best_epoch: int) -> None:
        self.best_epoch = best_epoch
        self._finish(
            self.Status.DONE,
            wall_seconds=wall_seconds,
            stop_reason=stop_reason,
            also=["best_epoch"],
        )

    def mark_failed(self, reason: str) -> None:
        self.status = self.Status.FAILED
        self.error = reason
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "error", "finished_at", "updated_at"])

    def _finish(
        self, status: str, *, wall_seconds: float, stop_reason: str, also: list[str] | None = None
    ) -> None:
        self.status = status
        self.wall_seconds = wall_seconds
        self.stop_reason = stop_reason
        self.progress = {}
        self.finished_at = timezone.now()
        self.save(
            update_fields=[
                "status",
                "wall_seconds",
                "finished_at",
                *(also or []),
                "stop_reason",
                "progress",
                "updated_at",
            ]
        )


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


def new_draft_key() -> str:
    """A draft's public key: unguessable, so a permalink shares one verse and lists nothing."""
    import secrets

    return secrets.token_urlsafe(12)


class DraftQuerySet(models.QuerySet["Draft"]):
    def alive(self, *, now: datetime.datetime | None = None) -> DraftQuerySet:
        """Drafts a permalink still shows: starred, kept (no expiry) or not yet expired."""
        moment = now or timezone.now()
        return self.filter(Q(starred=True) | Q(expires_at__isnull=True) | Q(expires_at__gt=moment))

    def expired(self, *, now: datetime.datetime | None = None) -> DraftQuerySet:
        """Drafts past their expiry that no one starred: what `manage.py purge_drafts` deletes."""
        moment = now or timezone.now()
        return self.filter(starred=False, expires_at__lte=moment)


class Draft(models.Model):
    """A verse co-written with the model and saved (generator/drafts.py): what it says, how it was
    made (model version, seed, settings, the take picked per line, the lines a person wrote) and
    what staff thought of it."""

    class Verdict(models.TextChoices):
        NONE = "", "not marked"
        GOOD = "good", "good"
        BAD = "bad", "bad"

    key = models.CharField(max_length=32, unique=True, default=new_draft_key, editable=False)
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="drafts"
    )
    model_name = models.CharField(
        max_length=200, help_text="The model that wrote it, as named when it was saved."
    )
    seed = models.BigIntegerField(null=True, blank=True)
    lines = models.JSONField(
        default=list,
        help_text="One object a line: text, syllables, by_person, picked (the take's index, "
        "0 = the model's pick) and takes (every take's text).",
    )
    model_line_count = models.PositiveIntegerField(default=0, help_text="Lines the model wrote.")
    alternative_pick_count = models.PositiveIntegerField(
        default=0, help_text="Of those, lines where the writer picked another take than the first."
    )
    person_line_count = models.PositiveIntegerField(default=0, help_text="Lines a person wrote.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="drafts",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: kept (saved by a signed-in person)."
    )
    starred = models.BooleanField(default=False, help_text="Kept past its expiry by staff.")
    verdict = models.CharField(max_length=4, choices=Verdict.choices, default="", blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    marked_at = models.DateTimeField(null=True, blank=True)
    # Declared after the user fields: in this class body `settings` is this field.
    settings = models.JSONField(
        default=dict, help_text="Rhyme scheme, syllables per line, temperature, takes per line."
    )

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("star_draft", "Can star drafts (keep them past expiry)"),
            ("mark_draft", "Can mark drafts good or bad"),
        ]

    def __str__(self) -> str:
        first = next((line.get("text", "") for line in self.lines if line.get("text")), "")
        return first[:60] or f"draft {self.key}"

    @property
    def lyrics(self) -> str:
        return "\n".join(str(line.get("text", "")) for line in self.lines)

    def is_expired(self, *, now: datetime.datetime | None = None) -> bool:
        moment = now or timezone.now()
        return not self.starred and self.expires_at is not None and self.expires_at <= moment

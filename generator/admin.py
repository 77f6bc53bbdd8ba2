"""Staff views of training runs (with their loss curves) and model versions (activate one)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from generator.charts import loss_chart_svg, quality_chart_svg
from generator.ml.evaluation.table import format_value, table_cells
from generator.model_versions import activate_model_version, deactivate_model_versions
from generator.models import ModelVersion, TrainingRun
from generator.selectors import latest_evaluation, with_latest_evaluation

# The versions the quality chart compares: the newest ones.
CHART_VERSIONS = 12


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "corpus",
        "state",
        "epochs_done",
        "epochs",
        "last_loss",
        "windows_per_second",
        "device",
        "created_at",
    ]
    list_filter = ["status", "device"]
    list_select_related = ["corpus"]
    readonly_fields = [
        f.name for f in TrainingRun._meta.get_fields() if f.concrete and not f.auto_created
    ] + ["loss_chart", "state"]
    fieldsets = [
        (None, {"fields": ["state", "corpus", "corpus_file", "corpus_sha256", "error"]}),
        ("Loss", {"fields": ["loss_chart", "epoch_metrics"]}),
        (
            "Configuration",
            {"fields": ["from_pretrained", "hyperparameters", "seed", "epochs", "epochs_done"]},
        ),
        (
            "Where and how fast",
            {"fields": ["host", "device", "windows_per_second", "wall_seconds", "celery_task_id"]},
        ),
        ("Checkpoints", {"fields": ["checkpoint_keys"]}),
        ("Times", {"fields": ["created_at", "started_at", "finished_at", "updated_at"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are started from a corpus (admin action), a command or a task

    @admin.display(description="status", ordering="status")
    def state(self, run: TrainingRun) -> str:
        """The status, and for a running run not heard from lately, that it can be taken over."""
        if not run.is_silent:
            return run.get_status_display()
        minutes = int((timezone.now() - run.updated_at).total_seconds() // 60)
        return (
            f"{run.get_status_display()}, silent for {minutes} min: its machine is gone; "
            f"resume it with manage.py train --resume {run.pk}"
        )

    @admin.display(description="loss curves")
    def loss_chart(self, run: TrainingRun) -> SafeString:
        return loss_chart_svg(run.epoch_metrics)

    @admin.display(description="last loss")
    def last_loss(self, run: TrainingRun) -> str:
        if not run.epoch_metrics:
            return "—"
        last = run.epoch_metrics[-1]
        validation = last.get("val_loss")
        suffix = f" / {validation:.3f}" if validation is not None else ""
        return f"{last['loss']:.3f}{suffix}"


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "source",
        "corpus",
        "training_run",
        "bits_per_char",
        "rhyme_density",
        "copy_rate",
        "words_per_line",
        "created_at",
    ]
    list_filter = ["is_active", "source"]
    list_select_related = ["corpus", "training_run"]
    readonly_fields = [
        "quality",
        "source",
        "training_run",
        "corpus",
        "weights_key",
        "vocab_key",
        "config_key",
        "line_index_key",
        "weights_sha256",
        "metrics",
        "is_active",
        "activated_at",
        "created_at",
    ]
    actions = ["activate", "serve_pretrained"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from training runs or `manage.py import_textgenrnn`

    def has_activate_permission(self, request: HttpRequest) -> bool:
        """Switching the served model changes the whole site: a permission of its own."""
        return request.user.has_perm("generator.activate_modelversion")

    @admin.action(description="Activate (serve this version)", permissions=["activate"])
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version to activate.", messages.ERROR)
            return
        version = activate_model_version(version=queryset.get())
        self.message_user(
            request, f"{version.name} is now served; workers switch on their next request."
        )

    @admin.action(
        description="Serve the pretrained textgenrnn model instead", permissions=["activate"]
    )
    def serve_pretrained(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        deactivate_model_versions()
        self.message_user(request, "The pretrained textgenrnn model is now served.")

    # -- quality (generator/evaluation.py): the latest evaluation's measures --------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModelVersion]:
        return with_latest_evaluation(super().get_queryset(request))

    def _latest(self, version: ModelVersion, key: str) -> str:
        evaluation = latest_evaluation(version)
        return format_value(key, evaluation.model_row.get(key)) if evaluation else "—"

    @admin.display(description="bits/char")
    def bits_per_char(self, version: ModelVersion) -> str:
        return self._latest(version, "bits_per_char")

    @admin.display(description="rhyme density")
    def rhyme_density(self, version: ModelVersion) -> str:
        return self._latest(version, "rhyme_density")

    @admin.display(description="copied lines")
    def copy_rate(self, version: ModelVersion) -> str:
        return self._latest(version, "copied_line_share")

    @admin.display(description="words/line")
    def words_per_line(self, version: ModelVersion) -> str:
        return self._latest(version, "words_per_line")

    @admin.display(description="quality (latest evaluation beside its corpus)")
    def quality(self, version: ModelVersion) -> SafeString:
        evaluations = list(version.evaluations.order_by("-created_at", "-id")[:3])
        latest = evaluations[0] if evaluations else None
        rows = []
        if latest is not None:
            rows.append((f"corpus ({latest.held_out_verses} held out)", latest.corpus_row))
            rows += [
                (f"{version.name} ({evaluation.created_at:%Y-%m-%d %H:%M})", evaluation.model_row)
                for evaluation in evaluations
            ]
        cells = table_cells(rows) if rows else [[]]
        compared = [
            (other.name, found.model_row)
            for other in with_latest_evaluation(ModelVersion.objects.all())[:CHART_VERSIONS]
            if (found := latest_evaluation(other)) is not None
        ]
        return render_to_string(
            "admin/generator/modelversion/quality.html",
            {
                "version": version,
                "evaluation": latest,
                "header": cells[0],
                "lines": cells[1:],
                "non_words": latest.model_row.get("non_word_examples", []) if latest else [],
                "chart": quality_chart_svg(
                    compared,
                    corpus=latest.corpus_row if latest else None,
                    highlight=version.name,
                ),
            },
        )

"""Staff views of training runs (with their loss curves) and model versions (activate one).

Runs are also controlled here: a form starts one on a corpus with chosen options (reached from
the corpus list's action *Train with chosen options…*), the *Stop* action asks running runs to
stop (checkpoint, interrupted, resumable), and a run's page shows its progress, refreshed by
static/js/training-progress.js from a small JSON view (no inline script: the production
Content-Security-Policy forbids it).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from generator.charts import loss_chart_svg, quality_chart_svg
from generator.ml.config import DEFAULT_OBJECTIVE, DEFAULT_TEXTS, OBJECTIVES, TEXT_KINDS
from generator.ml.evaluation.table import format_value, table_cells
from generator.model_versions import activate_model_version, deactivate_model_versions
from generator.models import ModelVersion, TrainingRun
from generator.selectors import latest_evaluation, training_progress, with_latest_evaluation
from lyrics.corpus_size import corpus_distinct_chars, small_corpus_warning
from lyrics.models import Corpus

# The versions the quality chart compares: the newest ones.
CHART_VERSIONS = 12

# What the start form lets staff choose (out-of-range values are refused, the field named).
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 8192
MAX_PATIENCE = 100


class TrainingOptionsForm(forms.Form):
    """The options of a run started from the admin; the rest are TRAINING_ADMIN_OPTIONS'."""

    epochs = forms.IntegerField(min_value=1, max_value=MAX_EPOCHS, initial=25)
    objective = forms.ChoiceField(
        choices=[(objective, objective) for objective in OBJECTIVES],
        initial=DEFAULT_OBJECTIVE,
        help_text="last: textgenrnn's (each window teaches its last character); "
        "all-positions: every position of a window is a target.",
    )
    texts = forms.ChoiceField(
        choices=[(kind, kind) for kind in TEXT_KINDS],
        initial=DEFAULT_TEXTS,
        required=False,
        help_text="verses: each training text is a whole verse with its line breaks; "
        f"lines: one line per text (textgenrnn's way). Empty: {DEFAULT_TEXTS}.",
    )
    batch_size = forms.IntegerField(
        min_value=1,
        max_value=MAX_BATCH_SIZE,
        required=False,
        help_text="Windows per batch; empty: 128 for last, 32 for all-positions.",
    )
    learning_rate = forms.FloatField(min_value=1e-6, max_value=1.0, initial=4e-3)
    patience = forms.IntegerField(
        min_value=1,
        max_value=MAX_PATIENCE,
        required=False,
        help_text="Stop once the held-out loss has not improved for this many epochs "
        "(empty: train every epoch). The best epoch is registered either way.",
    )
    start_from = forms.ChoiceField(
        choices=[("pretrained", "textgenrnn's pretrained network"), ("new", "a new network")],
        initial="pretrained",
    )
    activate = forms.BooleanField(required=False, label="Serve the model when done")

    def training_options(self) -> dict[str, Any]:
        """create_training_run's keyword arguments."""
        values = self.cleaned_data
        options = {
            "epochs": values["epochs"],
            "objective": values["objective"],
            "texts": values["texts"] or DEFAULT_TEXTS,
            "learning_rate": values["learning_rate"],
            "patience": values["patience"],
            "from_pretrained": values["start_from"] == "pretrained",
        }
        if values["batch_size"] is not None:
            options["batch_size"] = values["batch_size"]
        return options


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
    ] + ["loss_chart", "state", "live_progress"]
    actions = ["stop_runs"]
    fieldsets = [
        (None, {"fields": ["state", "corpus", "corpus_file", "corpus_sha256", "error"]}),
        (
            "Progress",
            {"fields": ["live_progress", "best_epoch", "stop_reason", "stop_requested_at"]},
        ),
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

    class Media:
        js = ["js/training-progress.js"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are started from a corpus (admin action), a command or a task

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "start/<int:corpus_id>/",
                self.admin_site.admin_view(self.start_view),
                name="generator_trainingrun_start",
            ),
            path(
                "<int:run_id>/progress.json",
                self.admin_site.admin_view(self.progress_view),
                name="generator_trainingrun_progress",
            ),
        ]
        return own + super().get_urls()

    def may_start_runs(self, request: HttpRequest) -> bool:
        # has_add_permission is False for the add form; starting a run is this permission.
        return bool(request.user.has_perm("generator.add_trainingrun"))

    def start_view(self, request: HttpRequest, corpus_id: int) -> HttpResponse:
        """The form: train a model on a corpus with chosen options."""
        from generator.training import TrainingRequestError
        from generator.training.queueing import queue_training_run

        if not self.may_start_runs(request):
            raise PermissionDenied
        corpus = get_object_or_404(Corpus, pk=corpus_id)
        form = TrainingOptionsForm(request.POST if request.method == "POST" else None)
        size_warning = small_corpus_warning(corpus_distinct_chars(corpus))
        if size_warning is not None and request.method != "POST":
            self.message_user(request, size_warning, messages.WARNING)
        if request.method == "POST" and form.is_valid():
            try:
                started = queue_training_run(
                    corpus_id=corpus.pk,
                    options=form.training_options(),
                    activate=form.cleaned_data["activate"],
                )
            except TrainingRequestError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    f"Training run #{started.run.pk} queued on corpus #{corpus.pk}, "
                    f"to train {started.where}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:generator_trainingrun_change", args=[started.run.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Train a model on corpus #{corpus.pk}",
            "corpus": corpus,
            "form": form,
        }
        return TemplateResponse(request, "admin/generator/trainingrun/start.html", context)

    def progress_view(self, request: HttpRequest, run_id: int) -> JsonResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return JsonResponse(training_progress(get_object_or_404(TrainingRun, pk=run_id)))

    @admin.action(
        description="Stop selected runs (checkpoint, then interrupted and resumable)",
        permissions=["change"],
    )
    def stop_runs(self, request: HttpRequest, queryset: QuerySet[TrainingRun]) -> None:
        from generator.training import TrainingRequestError
        from generator.training.queueing import request_stop

        for run in queryset.order_by("id"):
            try:
                request_stop(run_id=run.pk)
            except TrainingRequestError as exc:
                self.message_user(request, f"Not stopped: {exc}", messages.WARNING)
                continue
            self.message_user(
                request,
                f"Run #{run.pk} asked to stop: it stores a checkpoint at its next batch and "
                f"becomes interrupted; resume it with manage.py train --resume {run.pk}.",
                messages.SUCCESS,
            )

    @admin.display(description="progress")
    def live_progress(self, run: TrainingRun) -> SafeString:
        progress = training_progress(run)
        url = reverse("admin:generator_trainingrun_progress", args=[run.pk])
        return format_html('<span data-training-progress="{}">{}</span>', url, progress["summary"])

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

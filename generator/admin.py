"""Staff views of training runs (with their loss curves) and model versions (activate one).

Runs are also controlled here: a form starts one on a corpus with chosen options (reached from
the corpus list's action *Train with chosen options…*), the *Stop* action asks running runs to
stop (checkpoint, interrupted, resumable), and a run's page shows its progress, refreshed by
static/js/training-progress.js from a small JSON view (no inline script: the production
Content-Security-Policy forbids it).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from generator import (
    admin_corpus_training,  # noqa: F401  (adds training to the corpora's admin)
    admin_reports,
)
from generator.admin_drafts import writers_kept_panel  # also registers the drafts' admin
from generator.charts import loss_chart_svg, quality_chart_svg
from generator.formatting import MISSING, format_duration, format_loss, format_rate
from generator.ml.config import (
    DEFAULT_BATCH_SIZES,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_OBJECTIVE,
    DEFAULT_PATIENCE,
    DEFAULT_TEXTS,
    DEFAULT_WEIGHT_AVERAGE,
    LEARNING_RATE_RANGE,
    OBJECTIVES,
    TEXT_KINDS,
)
from generator.ml.evaluation.table import format_value, table_cells
from generator.model_versions import activate_model_version, deactivate_model_versions
from generator.models import ModelVersion, TrainingRun
from generator.selectors import latest_evaluation, training_progress, with_latest_evaluation
from lyrics.corpus_size import corpus_distinct_chars, small_corpus_warning
from lyrics.models import Corpus

if TYPE_CHECKING:
    from generator.training.requests import RunOptions

# The versions the quality chart compares: the newest ones.
CHART_VERSIONS = 12

# What the start form lets staff choose (out-of-range values are refused, the field named).
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 8192
MAX_PATIENCE = 100
MAX_WEIGHT_AVERAGE = 0.9999  # an average over about 10,000 batches


class TrainingOptionsForm(forms.Form):
    """The options of a run started from the admin; the rest are TRAINING_ADMIN_OPTIONS'."""

    epochs = forms.IntegerField(min_value=1, max_value=MAX_EPOCHS, initial=DEFAULT_EPOCHS)
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
        help_text="Windows per batch; empty: "
        + ", ".join(f"{size} for {name}" for name, size in DEFAULT_BATCH_SIZES.items())
        + ".",
    )
    learning_rate = forms.FloatField(
        min_value=LEARNING_RATE_RANGE[0],
        max_value=LEARNING_RATE_RANGE[1],
        initial=DEFAULT_LEARNING_RATE,
    )
    patience = forms.IntegerField(
        min_value=0,
        max_value=MAX_PATIENCE,
        required=False,
        help_text="Stop once the held-out loss has not improved for this many epochs "
        f"(empty: {DEFAULT_PATIENCE} when a validation split is held out; 0: train every "
        "epoch). The best epoch is registered either way.",
    )
    weight_average = forms.FloatField(
        min_value=0.0,
        max_value=MAX_WEIGHT_AVERAGE,
        required=False,
        help_text="The model registered is a moving average of the trained weights over about "
        f"1/(1 − this) batches (empty: {DEFAULT_WEIGHT_AVERAGE}; 0: the trained weights "
        "themselves).",
    )
    start_from = forms.ChoiceField(
        choices=[("pretrained", "textgenrnn's pretrained network"), ("new", "a new network")],
        initial="pretrained",
    )
    activate = forms.BooleanField(required=False, label="Serve the model when done")

    def training_options(self) -> RunOptions:
        """The admin's run options (TRAINING_ADMIN_OPTIONS) changed by the form's choices."""
        from generator.training.queueing import admin_run_options

        values = self.cleaned_data
        options: dict[str, Any] = {
            "epochs": values["epochs"],
            "objective": values["objective"],
            "texts": values["texts"] or DEFAULT_TEXTS,
            "learning_rate": values["learning_rate"],
            "patience": values["patience"],
            "weight_average": values["weight_average"],
            "from_pretrained": values["start_from"] == "pretrained",
        }
        if values["batch_size"] is not None:
            options["batch_size"] = values["batch_size"]
        return admin_run_options().replace(**options)


def short_time(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


class ReadOnlyReportMixin:
    """A record's page is a report: nothing on it can be saved or deleted (its title and no
    Save/Delete buttons say so), while the list keeps its own actions, which check the model's
    change permission themselves (has_change_permission without an object)."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return bool(super().has_change_permission(request))  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        title = str(self.model._meta.verbose_name_plural).capitalize()  # type: ignore[attr-defined]
        context = {"title": title, **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)  # type: ignore[misc]


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyReportMixin, admin.ModelAdmin):
    # Short cells, so the list fits a 1280 px window.
    list_display = [
        "run_label",
        "corpus_ref",
        "state",
        "epochs_progress",
        "last_loss",
        "speed",
        "training_time",
        "device",
        "created",
    ]
    list_display_links = ["run_label"]
    list_filter = ["status", "device"]
    fieldsets = [
        (None, {"fields": ["state", "corpus", "corpus_file", "corpus_sha256", "error"]}),
        (
            "Progress",
            {"fields": ["live_progress", "best_epoch", "stop_reason", "stop_requested_at"]},
        ),
        ("Loss", {"fields": ["loss_chart", "epochs_table"]}),
        (
            "Configuration",
            {
                "fields": [
                    "from_pretrained",
                    "seed",
                    "epochs",
                    "epochs_done",
                    "activate_when_done",
                    "hyperparameters_table",
                ]
            },
        ),
        ("Where and how fast", {"fields": ["speed_and_time", "celery_task_id"]}),
        ("Checkpoints", {"fields": ["checkpoints"]}),
        ("Result", {"fields": ["model_version_link"]}),
        ("Times", {"fields": ["created_at", "started_at", "finished_at", "updated_at"]}),
    ]
    readonly_fields = [name for _, section in fieldsets for name in section["fields"]]
    actions = ["stop_runs"]

    class Media:
        js = ["js/training-progress.js"]
        css = {"all": ["css/admin-studio.css"]}

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
        from generator.tasks import send_training_task
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
                    hand_over=send_training_task,
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

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        context = {"title": f"Training run #{object_id}", **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=context)

    @admin.display(description="loss curves")
    def loss_chart(self, run: TrainingRun) -> SafeString:
        return loss_chart_svg(run.epoch_metrics, best_epoch=run.best_epoch)

    @admin.display(description="epochs")
    def epochs_table(self, run: TrainingRun) -> SafeString:
        return admin_reports.epoch_table(run)

    @admin.display(description="hyperparameters")
    def hyperparameters_table(self, run: TrainingRun) -> SafeString:
        return admin_reports.hyperparameter_table(run)

    @admin.display(description="checkpoints")
    def checkpoints(self, run: TrainingRun) -> SafeString:
        return admin_reports.checkpoint_list(run)

    @admin.display(description="speed and time")
    def speed_and_time(self, run: TrainingRun) -> str:
        return admin_reports.speed_and_time(run)

    @admin.display(description="run", ordering="id")
    def run_label(self, run: TrainingRun) -> str:
        return f"run #{run.pk}"

    @admin.display(description="corpus", ordering="corpus")
    def corpus_ref(self, run: TrainingRun) -> str:
        return f"#{run.corpus_id}" if run.corpus_id else "a file"

    @admin.display(description="epochs", ordering="epochs_done")
    def epochs_progress(self, run: TrainingRun) -> str:
        return f"{run.epochs_done}/{run.epochs}"

    @admin.display(description="created", ordering="created_at")
    def created(self, run: TrainingRun) -> str:
        return short_time(run.created_at)

    @admin.display(description="windows/s", ordering="windows_per_second")
    def speed(self, run: TrainingRun) -> str:
        return format_rate(run.windows_per_second)

    @admin.display(description="training time", ordering="wall_seconds")
    def training_time(self, run: TrainingRun) -> str:
        return format_duration(run.wall_seconds) if run.wall_seconds else MISSING

    @admin.display(description="model version")
    def model_version_link(self, run: TrainingRun) -> SafeString | str:
        version = getattr(run, "model_version", None)
        if version is None:
            return "None yet: a run registers its version when it is done."
        url = reverse("admin:generator_modelversion_change", args=[version.pk])
        serving = " (served)" if version.is_active else ""
        return format_html('<a href="{}">{}</a>{}', url, version.name, serving)

    @admin.display(description="last loss")
    def last_loss(self, run: TrainingRun) -> str:
        if not run.epoch_metrics:
            return "—"
        last = run.epoch_metrics[-1]
        validation = last.get("val_loss")
        suffix = f" / {format_loss(validation)}" if validation is not None else ""
        return f"{format_loss(last['loss'])}{suffix}"


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyReportMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "trained_on",
        "held_out_loss",
        "bits_per_char",
        "rhyme_density",
        "copy_rate",
        "words_per_line",
        "created",
    ]
    list_filter = ["is_active", "source"]
    change_form_template = "admin/generator/modelversion/change_form.html"
    fieldsets = [
        (None, {"fields": ["name", "is_active", "activated_at", "source", "created_at"]}),
        ("Training", {"fields": ["training_run", "corpus", "training_facts"]}),
        ("Quality", {"fields": ["quality", "writers_kept"]}),
        (
            "Files",
            {
                "fields": [
                    "weights_key",
                    "vocab_key",
                    "config_key",
                    "line_index_key",
                    "weights_sha256",
                ]
            },
        ),
    ]
    readonly_fields = [name for _, section in fieldsets for name in section["fields"]]
    actions = ["activate", "serve_pretrained"]

    class Media:
        css = {"all": ["css/admin-studio.css"]}

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:version_id>/activate/",
                self.admin_site.admin_view(self.activate_view),
                name="generator_modelversion_activate",
            ),
        ]
        return own + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        context = {
            "title": "Model version",
            "may_activate": self.has_activate_permission(request),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def activate_view(self, request: HttpRequest, version_id: int) -> HttpResponse:
        """The Activate button of a version's page (POST): serve this version."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_activate_permission(request):
            raise PermissionDenied
        version = activate_model_version(version=get_object_or_404(ModelVersion, pk=version_id))
        self.message_user(
            request,
            f"{version.name} is now served; workers switch on their next request.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:generator_modelversion_change", args=[version.pk])
        )

    @admin.display(description="trained on")
    def trained_on(self, version: ModelVersion) -> str:
        parts = [
            f"corpus #{version.corpus_id}" if version.corpus_id else "",
            f"run #{version.training_run_id}" if version.training_run_id else "",
        ]
        return ", ".join(part for part in parts if part) or MISSING

    @admin.display(description="created", ordering="created_at")
    def created(self, version: ModelVersion) -> str:
        return short_time(version.created_at)

    @admin.display(description="held-out loss")
    def held_out_loss(self, version: ModelVersion) -> str:
        return admin_reports.version_held_out_loss(version)

    @admin.display(description="training")
    def training_facts(self, version: ModelVersion) -> SafeString:
        return admin_reports.version_training_facts(version)

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

    @admin.display(description="what writers kept (saved co-written drafts)")
    def writers_kept(self, version: ModelVersion) -> SafeString:
        return writers_kept_panel(version)

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

"""Training actions on the Corpora admin: the corpus admin belongs to lyrics, the runs to generator.

Imports go downhill (generator may import lyrics, never the reverse), so generator extends
lyrics' `CorpusAdmin` with its two actions and registers the result in its place. Both need the
custom permission `generator.start_trainingrun`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from lyrics.admin_cleaning import CorpusAdmin
from lyrics.models import Corpus


class TrainableCorpusAdmin(CorpusAdmin):
    actions = [*(CorpusAdmin.actions or []), "train_model", "train_with_options"]

    @admin.action(description="Train a model on this corpus", permissions=["start_training"])
    def train_model(self, request: HttpRequest, queryset: QuerySet[Corpus]) -> None:
        # Imported here: the training modules bring Keras, which a web worker never loads.
        from generator.tasks import send_training_task
        from generator.training.errors import TrainingRequestError
        from generator.training.queueing import queue_training_run

        for corpus in queryset.order_by("id"):
            try:
                started = queue_training_run(corpus_id=corpus.pk, hand_over=send_training_task)
            except TrainingRequestError as exc:
                self.message_user(request, f"Not started: {exc}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"Training run #{started.run.pk} queued on corpus #{corpus.pk}, "
                f"to train {started.where}.",
                messages.SUCCESS,
            )

    @admin.action(
        description="Train with chosen options… (epochs, objective, patience…)",
        permissions=["start_training"],
    )
    def train_with_options(
        self, request: HttpRequest, queryset: QuerySet[Corpus]
    ) -> HttpResponse | None:
        # The form and its own permission check live with the training runs' admin.
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one corpus to train on.", messages.ERROR)
            return None
        return HttpResponseRedirect(
            reverse("admin:generator_trainingrun_start", args=[queryset.get().pk])
        )

    def has_start_training_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("generator.start_trainingrun")


admin.site.unregister(Corpus)
admin.site.register(Corpus, TrainableCorpusAdmin)

"""The admin site of the studio: Django's admin whose index is the studio home.

The home (templates/admin/index.html) shows the pipeline at a glance — artists, songs, verses,
corpora, training runs with their progress, the served model with its evaluation — and the next
step with a button for it (raplyrics/studio.py decides which), above the usual list of models.
Installed in place of `django.contrib.admin` (raplyrics/admin_config.py), so `admin.site` and
every `@admin.register` are this site.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from generator.ml.evaluation.table import COLUMNS_BY_KEY, SUMMARY_KEYS
from raplyrics.studio import next_step, pipeline_overview


class StudioAdminSite(admin.AdminSite):
    site_header = "RapLyrics studio"
    site_title = "RapLyrics"
    index_title = "Curate, train, serve"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        overview = pipeline_overview()
        step = next_step(overview)
        allowed = not step.permission or request.user.has_perm(step.permission)
        evaluation = overview.served_evaluation
        # The served model's four summary measures beside its corpus's held-out verses.
        quality = []
        if evaluation is not None:
            model, corpus = evaluation.model_row, evaluation.corpus_row
            for key in SUMMARY_KEYS:
                column = COLUMNS_BY_KEY[key]
                quality.append(
                    (column.label, column.format(model.get(key)), column.format(corpus.get(key)))
                )
        context = {
            "studio": overview,
            "next_step": step,
            "next_step_url": reverse(step.url_name, args=step.url_args),
            "next_step_allowed": allowed,
            "served_quality": quality,
            **(extra_context or {}),
        }
        response: TemplateResponse = super().index(request, extra_context=context)
        return response

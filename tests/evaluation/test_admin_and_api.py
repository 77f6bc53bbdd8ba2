"""Evaluations shown: the versions list's quality columns, a version's page, GET /api/models."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generator.ml.evaluation.report import measure_verses
from generator.ml.evaluation.table import format_value
from generator.models import ModelVersion
from tests.evaluation.stored_evaluations import (
    CORPUS,
    GOOD,
    REFERENCE,
    STUBBY,
    version_with_evaluations,
)

pytestmark = pytest.mark.django_db


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_versions_list_shows_the_latest_evaluation_in_columns(staff_client: Client) -> None:
    version_with_evaluations("evaluated", STUBBY, GOOD)  # GOOD is the latest
    ModelVersion.objects.create(name="never-evaluated")

    page = staff_client.get(reverse("admin:generator_modelversion_changelist")).content.decode()

    latest = measure_verses(GOOD, REFERENCE)
    for header in ("bits/char", "rhyme density", "copied lines", "words/line"):
        assert header in page.lower()
    assert format_value("words_per_line", latest["words_per_line"]) in page
    assert format_value("rhyme_density", latest["rhyme_density"]) in page
    stale = format_value("words_per_line", measure_verses(STUBBY, REFERENCE)["words_per_line"])
    assert stale not in page


def test_the_versions_list_does_not_grow_queries_with_versions(staff_client: Client) -> None:
    url = reverse("admin:generator_modelversion_changelist")
    version_with_evaluations("first", GOOD)
    few = queries_for(staff_client, url)
    for number in range(4):
        version_with_evaluations(f"more-{number}", GOOD, STUBBY)
    assert queries_for(staff_client, url) == few


def test_a_versions_page_shows_its_table_beside_the_corpus_with_samples_and_a_chart(
    staff_client: Client,
) -> None:
    other = version_with_evaluations("other-version", STUBBY)
    version = version_with_evaluations("shown-version", GOOD)

    page = staff_client.get(
        reverse("admin:generator_modelversion_change", args=[version.pk])
    ).content.decode()

    assert "corpus (1 held out)" in page
    assert "distinct-2" in page and "lines under 3 words" in page
    assert "Count the money on the table, sweet like honey" in page  # a sample verse
    assert 'aria-label="model versions compared"' in page
    assert other.name in page  # compared in the chart


def test_a_version_never_evaluated_says_how_to_evaluate_it(staff_client: Client) -> None:
    version = ModelVersion.objects.create(name="fresh")
    page = staff_client.get(
        reverse("admin:generator_modelversion_change", args=[version.pk])
    ).content.decode()
    assert f"manage.py evaluate --model {version.pk}" in page


def test_the_model_list_carries_each_versions_latest_summary(client: Client) -> None:
    evaluated = version_with_evaluations("evaluated", STUBBY, GOOD)
    ModelVersion.objects.create(name="never-evaluated")

    entries = {entry["name"]: entry for entry in client.get("/api/models").json()["models"]}

    summary = entries["evaluated"]["evaluation"]
    latest = evaluated.evaluations.order_by("-created_at", "-id").first()
    assert latest is not None
    assert summary["id"] == latest.pk
    assert summary["model"]["words_per_line"] == pytest.approx(
        measure_verses(GOOD, REFERENCE)["words_per_line"]
    )
    assert set(summary["model"]) == {
        "bits_per_char",
        "rhyme_density",
        "copied_line_share",
        "words_per_line",
    }
    assert summary["corpus"]["words_per_line"] == pytest.approx(
        measure_verses(CORPUS, REFERENCE)["words_per_line"]
    )
    assert entries["never-evaluated"]["evaluation"] is None


def test_the_model_list_does_not_grow_queries_with_versions(client: Client) -> None:
    version_with_evaluations("first", GOOD)
    few = queries_for(client, "/api/models")
    for number in range(4):
        version_with_evaluations(f"more-{number}", GOOD, STUBBY)
    assert queries_for(client, "/api/models") == few


def test_the_summary_is_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "EvaluationSummaryOutput" in schema
    assert "rhyme_density" in schema

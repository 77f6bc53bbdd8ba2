from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from generator.charts import loss_chart_svg
from generator.models import TrainingRun

pytestmark = pytest.mark.django_db


def test_the_chart_draws_one_line_per_loss_series() -> None:
    svg = str(
        loss_chart_svg(
            [{"loss": 2.0, "val_loss": 2.2}, {"loss": 1.5, "val_loss": 1.9}, {"loss": 1.2}]
        )
    )
    assert svg.count("<polyline") == 2
    assert "<title>train</title>" in svg
    assert "<title>validation</title>" in svg
    assert ">2.200</text>" in svg  # the highest loss labels the top of the axis
    assert ">1.200</text>" in svg


def test_a_run_without_epochs_says_so_instead_of_an_empty_chart() -> None:
    assert str(loss_chart_svg([])) == "<p>No epoch has finished yet.</p>"


def test_the_run_page_shows_the_loss_curves(staff_client: Client) -> None:
    run = TrainingRun.objects.create(
        epochs=2, epochs_done=2, status="done", epoch_metrics=[{"loss": 1.9}, {"loss": 1.4}]
    )
    page = staff_client.get(reverse("admin:generator_trainingrun_change", args=[run.pk]))
    assert page.status_code == 200
    assert 'aria-label="loss per epoch"' in page.content.decode()


def test_many_epochs_label_every_kth_counted_back_from_the_last() -> None:
    metrics = [{"epoch": n, "loss": 3.0 - n / 10, "seconds": 30.0} for n in range(1, 26)]

    svg = str(loss_chart_svg(metrics))

    ticks = re.findall(r'class="epoch-tick">(\d+)</text>', svg)
    assert ticks == ["1", "5", "9", "13", "17", "21", "25"]
    assert 'class="time-tick">12 min 30 s</text>' in svg  # 25 epochs of 30 s

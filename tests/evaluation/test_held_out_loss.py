"""Held-out loss is textgenrnn's training objective on the held-out lines."""

from __future__ import annotations

import math

import pytest

from generator.ml.dataset import make_windows
from generator.ml.evaluation.loss import held_out_loss
from generator.ml.fit import evaluate
from generator.ml.sampling import Sampler

# Not in the tiny corpus the model memorised (written for this test).
HELD_OUT = ["Quiet river in the morning", "Steady lights along the corner"]


def test_it_is_the_loss_training_reports_for_the_same_lines(memorised_sampler: Sampler) -> None:
    model, vocabulary, config = (
        memorised_sampler.model,
        memorised_sampler.vocabulary,
        memorised_sampler.config,
    )
    measured = held_out_loss(model, vocabulary=vocabulary, config=config, lines=HELD_OUT)
    assert measured is not None
    windows = make_windows(HELD_OUT, vocabulary=vocabulary, config=config)
    assert measured.windows == len(windows)
    # Keras' compiled sparse categorical cross-entropy, as training's validation loss.
    assert measured.loss == pytest.approx(evaluate(model, windows), rel=1e-4)
    assert measured.bits_per_char == pytest.approx(measured.loss / math.log(2))


def test_a_recited_line_costs_less_than_an_unseen_one(memorised_sampler: Sampler) -> None:
    kwargs = {
        "vocabulary": memorised_sampler.vocabulary,
        "config": memorised_sampler.config,
    }
    recited = held_out_loss(memorised_sampler.model, lines=["Cold light on the corner"], **kwargs)
    unseen = held_out_loss(memorised_sampler.model, lines=HELD_OUT, **kwargs)
    assert recited is not None and unseen is not None
    assert recited.loss < unseen.loss


def test_no_lines_no_loss(memorised_sampler: Sampler) -> None:
    assert (
        held_out_loss(
            memorised_sampler.model,
            vocabulary=memorised_sampler.vocabulary,
            config=memorised_sampler.config,
            lines=[],
        )
        is None
    )

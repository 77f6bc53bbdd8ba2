"""One way to start or resume a run: one options object whose defaults live once, one entry
that decides start or resume, one helper that turns signals into a stop request."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from generator.admin import TrainingOptionsForm
from generator.ml.fit import StopFlag, TrainingConfig
from generator.models import TrainingRun
from generator.training import (
    RunOptions,
    TrainingRequestError,
    create_training_run,
    start_or_resume_run,
)
from generator.training.queueing import admin_run_options
from generator.training.stopping import STOP_SIGNALS, stop_on_signals
from tests.training.conftest import TINY_OPTIONS


def test_run_options_default_to_the_ml_cores_training_defaults() -> None:
    options, training = RunOptions(), TrainingConfig()
    for name in ("epochs", "learning_rate", "dropout", "validation_split", "seed"):
        assert getattr(options, name) == getattr(training, name), name
    assert dataclasses.replace(options, objective="last").batch_size_or_default == (
        training.batch_size
    )


def test_the_admin_form_starts_from_the_same_defaults() -> None:
    form = TrainingOptionsForm()
    assert form.fields["epochs"].initial == RunOptions().epochs
    assert form.fields["learning_rate"].initial == RunOptions().learning_rate
    assert form.fields["objective"].initial == RunOptions().objective


def test_admin_options_come_from_the_setting(settings: Any) -> None:
    settings.TRAINING_ADMIN_OPTIONS = {"epochs": 3, "seed": 7}
    assert admin_run_options() == RunOptions(epochs=3, seed=7)


def test_an_unknown_admin_option_is_refused_by_name(settings: Any) -> None:
    settings.TRAINING_ADMIN_OPTIONS = {"epochs": 3, "epoch_count": 9}
    with pytest.raises(TrainingRequestError, match=r"^unknown training option\(s\): epoch_count$"):
        admin_run_options()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "message"),
    [
        (TrainingRun.Status.DONE, "is already done"),
        (TrainingRun.Status.FAILED, "resume it with: manage.py train --resume"),
    ],
)
def test_a_task_never_trains_a_done_or_failed_run(
    corpus_file: Path, work_dirs: Path, status: str, message: str
) -> None:
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(**TINY_OPTIONS))
    TrainingRun.objects.filter(pk=run.pk).update(status=status)

    with pytest.raises(TrainingRequestError, match=message):
        start_or_resume_run(run.pk, resume_failed=False)

    run.refresh_from_db()
    assert run.status == status


@pytest.mark.django_db
def test_a_run_is_claimed_once(corpus_file: Path, work_dirs: Path) -> None:
    run = create_training_run(corpus_file=corpus_file, options=RunOptions(**TINY_OPTIONS))
    second_worker = TrainingRun.objects.get(pk=run.pk)
    queued = (TrainingRun.Status.QUEUED,)

    assert run.claim(allowed=queued, or_silent=False, host="a", device="CPU")
    assert not second_worker.claim(allowed=queued, or_silent=False, host="b", device="CPU")
    assert second_worker.status == TrainingRun.Status.RUNNING and second_worker.host == "a"


def test_sigterm_requests_a_stop_and_the_handler_is_put_back() -> None:
    stop, announced = StopFlag(), []
    before = signal.getsignal(signal.SIGTERM)

    with stop_on_signals(stop, announce=announced.append):
        os.kill(os.getpid(), signal.SIGTERM)

    assert stop.requested
    assert announced == ["SIGTERM received: saving a checkpoint at the next batch"]
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_second_ctrl_c_aborts_at_once() -> None:
    stop = StopFlag()
    with pytest.raises(KeyboardInterrupt), stop_on_signals(stop, signals=STOP_SIGNALS):
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested
        os.kill(os.getpid(), signal.SIGINT)


def test_outside_the_main_thread_it_runs_without_a_handler() -> None:
    ran: list[bool] = []

    def in_a_worker_thread() -> None:
        with stop_on_signals(StopFlag()):
            ran.append(True)

    thread = threading.Thread(target=in_a_worker_thread)
    thread.start()
    thread.join()
    assert ran == [True]

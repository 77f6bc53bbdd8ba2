"""`manage.py train` whose output's reader goes away (`| head`, a dropped SSH session) stops the
run as SIGTERM does: a checkpoint, the run interrupted with the reason, resumable; no traceback.
Each progress line reaches a pipe as it is written, not when a buffer fills. Ctrl-C twice
aborts at once, in one line, the run resumable from its last checkpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from generator.models import ModelVersion, TrainingRun
from tests.training.conftest import TINY_FLAGS

pytestmark = pytest.mark.django_db


class ReaderGoneAfter(StringIO):
    """An output whose reader goes away after `lines` lines, as `| head -n lines` does."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines = lines

    def write(self, text: str) -> int:
        if self.getvalue().count("\n") >= self.lines:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


class SignalsOnLine(StringIO):
    """A terminal whose person sends `signals` to this process once a line starts with
    `prefix` (a hang-up, Ctrl-C twice)."""

    def __init__(self, prefix: str, *signals: signal.Signals) -> None:
        super().__init__()
        self.prefix, self.signals = prefix, signals

    def write(self, text: str) -> int:
        written = super().write(text)
        if text.startswith(self.prefix):
            for signum in self.signals:
                os.kill(os.getpid(), signum)
        return written


def train_four_epochs(corpus_file: Path, *, stdout: StringIO, stderr: StringIO) -> TrainingRun:
    call_command(
        "train", "--corpus-file", str(corpus_file), *TINY_FLAGS, "--epochs", "4",
        stdout=stdout, stderr=stderr,
    )  # fmt: skip
    return TrainingRun.objects.get()


def test_a_reader_that_goes_away_stops_the_run_at_a_checkpoint_and_it_resumes(
    corpus_file: Path, work_dirs: Path
) -> None:
    out, err = ReaderGoneAfter(lines=1), StringIO()

    run = train_four_epochs(corpus_file, stdout=out, stderr=err)

    assert run.status == TrainingRun.Status.INTERRUPTED
    assert run.stop_reason == "its output was closed"
    assert run.epochs_done == 1 and len(run.checkpoint_keys) == 1
    assert out.getvalue().startswith(f"run #{run.pk} on CPU:")
    # What the closed stdout would have said goes to stderr, after one line saying why.
    lines = [line for line in err.getvalue().splitlines() if "too small" not in line]
    assert lines[0] == "its output was closed: saving a checkpoint at the next batch"
    assert lines[1].startswith("epoch 1/4: loss")
    assert lines[-1].startswith(f"run #{run.pk} interrupted at the end of epoch 1;")
    assert "Traceback" not in err.getvalue()

    call_command("train", "--resume", str(run.pk), stdout=StringIO(), stderr=StringIO())
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.DONE
    assert ModelVersion.objects.filter(training_run=run).exists()


def test_a_terminal_hang_up_stores_a_checkpoint_instead_of_killing_the_run(
    corpus_file: Path, work_dirs: Path
) -> None:
    previous_handler = signal.getsignal(signal.SIGHUP)
    out, err = SignalsOnLine("epoch 1/", signal.SIGHUP), StringIO()

    run = train_four_epochs(corpus_file, stdout=out, stderr=err)

    assert run.status == TrainingRun.Status.INTERRUPTED
    assert run.stop_reason == "SIGHUP received"
    assert "SIGHUP received: saving a checkpoint at the next batch" in err.getvalue()
    assert f"resume it on any machine with: python manage.py train --resume {run.pk}" in (
        out.getvalue()
    )
    assert signal.getsignal(signal.SIGHUP) == previous_handler


@pytest.mark.parametrize(
    ("on_line", "resume_from", "lost"),
    [
        (
            "epoch 1/",
            "its last stored checkpoint",
            "the batches since its last checkpoint are lost",
        ),
        (
            "run #",
            "the start (it had stored none)",
            "before its first checkpoint, it starts over when resumed",
        ),
    ],
    ids=["after-a-checkpoint", "before-any-checkpoint"],
)
def test_ctrl_c_twice_aborts_at_once_in_one_line_and_the_run_resumes(
    corpus_file: Path, work_dirs: Path, on_line: str, resume_from: str, lost: str
) -> None:
    out = SignalsOnLine(on_line, signal.SIGINT, signal.SIGINT)

    with pytest.raises(CommandError) as raised:
        train_four_epochs(corpus_file, stdout=out, stderr=StringIO())

    run = TrainingRun.objects.get()
    assert raised.value.returncode == 130  # a shell's status for a process SIGINT ended
    assert str(raised.value) == (
        f"run #{run.pk} aborted at once (a second Ctrl-C); resume it from {resume_from} with: "
        f"python manage.py train --resume {run.pk}"
    )
    assert run.status == TrainingRun.Status.INTERRUPTED
    assert run.stop_reason == f"aborted at once (a second Ctrl-C): {lost}"
    call_command("train", "--resume", str(run.pk), stdout=StringIO(), stderr=StringIO())
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.DONE and run.epochs_done == 4


@pytest.mark.django_db(transaction=True)
def test_piped_into_head_the_first_line_arrives_at_once_and_the_run_stops_cleanly(
    child_processes_share_this_test: None, corpus_file: Path, settings: Any
) -> None:
    # Python buffers a pipe's output unless told otherwise: this is how an operator's shell
    # runs `manage.py train ... | head -n 1`.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    command = [sys.executable, "manage.py", "train", "--corpus-file", str(corpus_file)]
    command += [*TINY_FLAGS, "--epochs", "25", "--patience", "0"]
    process = subprocess.Popen(
        command,
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline() if process.stdout else ""
        assert process.poll() is None, "the first line came only when the process ended"
        assert first.startswith("run #") and "25 epochs" in first
        assert process.stdout is not None
        process.stdout.close()  # head has its line and exits
        _, err = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.INTERRUPTED, err
    assert run.stop_reason == "its output was closed"
    assert 1 <= run.epochs_done < 25 and run.checkpoint_keys

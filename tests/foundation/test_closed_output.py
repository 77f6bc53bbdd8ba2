"""Any `manage.py` command whose output's reader has gone (`| head`) ends as a Unix tool does:
quietly, with a failing status, never a traceback; each line reaches a pipe as it is written;
Ctrl-C ends a command in one line; and how a lost reader is recognised."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest

from common.output import discard_output, has_lost_its_reader, is_closed_output_error
from tests.fresh_interpreter import run_manage

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_command_whose_reader_has_gone_ends_quietly(buffered: bool) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "help"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the command writes a line
    _, err = process.communicate(timeout=120)

    assert process.returncode == 1
    assert err == ""


def test_a_command_with_its_reader_still_there_is_unchanged() -> None:
    result = run_manage("help")
    assert result.returncode == 0
    assert "[lyrics]" in result.stdout and "scrape" in result.stdout


def line_then_a_minute(line: str, *, env: dict[str, str]) -> subprocess.Popen[str]:
    """`manage.py shell` printing `line`, then working for a minute; stdout and stderr piped."""
    code = f"print({line!r}); import time; time.sleep(60)"
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_each_line_reaches_a_pipe_as_it_is_written() -> None:
    # As `manage.py ... | tee log` runs: Python would buffer a pipe's output until 8 KB gathered.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    process = line_then_a_minute("first line", env=env)
    try:
        assert process.stdout is not None
        # Django starts in seconds; the command then sleeps for a minute before it ends.
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "no line within 30 s: it would come only when the command ended"
        assert process.stdout.readline() == "first line\n"
    finally:
        process.kill()
        process.wait()


def test_ctrl_c_ends_a_command_in_one_line() -> None:
    process = line_then_a_minute("working", env=dict(os.environ))
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "working\n"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 130
    assert err == "interrupted (Ctrl-C)\n"


def test_a_pipe_has_lost_its_reader_only_once_the_reader_closes() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as writer:
        assert not has_lost_its_reader(writer)
        os.close(read_end)
        assert has_lost_its_reader(writer)
        with pytest.raises(BrokenPipeError) as raised:
            writer.write("x")
            writer.flush()
        assert is_closed_output_error(raised.value)
        discard_output(writer)  # what was buffered now goes to /dev/null
        writer.write("y")
        writer.flush()


def test_streams_without_a_descriptor_and_other_errors_are_not_lost_readers() -> None:
    assert not has_lost_its_reader(StringIO())
    discard_output(StringIO())  # nothing to point anywhere: left as it is
    assert not is_closed_output_error(FileNotFoundError(2, "No such file"))
    assert not is_closed_output_error(ValueError("I/O operation on closed file"))
    assert is_closed_output_error(OSError(5, "Input/output error"))  # a hung-up terminal

"""The production stack the deploy tests run against (deploy/stack.py), built once per module.

Where apache2, openssl or PostgreSQL is missing the tests skip, saying which; under
`make deploy-check` (DEPLOY_CHECK_REQUIRED=1) they fail instead, in one line naming it. A failed
test's report ends with the last lines of the stack's logs (gunicorn, Apache).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from deploy.stack import Stack, StackFailed, StackUnavailable, find_prerequisites, running_stack

REQUIRED_VARIABLE = "DEPLOY_CHECK_REQUIRED"
LOG_LINES = 20

_running: list[Stack] = []


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    try:
        prerequisites = find_prerequisites()
    except StackUnavailable as reason:
        if os.environ.get(REQUIRED_VARIABLE, "") not in ("", "0"):
            pytest.fail(f"deploy check: cannot run: {reason}", pytrace=False)
        pytest.skip(f"deploy check cannot run here: {reason}")
    try:
        with running_stack(prerequisites=prerequisites) as running:
            _running.append(running)
            try:
                yield running
            finally:
                _running.remove(running)
    except StackFailed as failure:
        pytest.fail(f"deploy check: the stack did not start: {failure}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and call.when == "call" and _running:
        for name, tail in log_tails(_running[-1].apache_log_dir).items():
            report.sections.append((f"stack log {name} (last lines)", tail))
    return report


def log_tails(log_dir: Path, *, lines: int = LOG_LINES) -> dict[str, str]:
    """The end of each log of the stack (its logs folder holds Apache's and gunicorn's)."""
    tails = {}
    for path in sorted(Path(log_dir).glob("*.log")):
        text = path.read_text(errors="replace").splitlines()[-lines:]
        if text:
            tails[path.name] = "\n".join(text)
    return tails

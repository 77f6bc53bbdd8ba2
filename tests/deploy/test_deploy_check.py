"""`make deploy-check` in the suite: real Apache with TLS in front of a real gunicorn on loopback.

The stack is built once for the module (it takes tens of seconds, most of it gunicorn loading
TensorFlow and the model) and every check of deploy.checks is one test, named by what production
must do. Skips, saying why, where apache2, openssl or PostgreSQL is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from deploy.checks import CHECKS, CheckOutcome, log_tails, run_checks
from deploy.stack import StackUnavailable, find_prerequisites, running_stack

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class DeployRun:
    outcomes: dict[str, CheckOutcome]
    # Read before the stack's folder goes, so a failed check can show what the servers said.
    logs: dict[str, str]


@pytest.fixture(scope="module")
def deploy_run() -> Iterator[DeployRun]:
    try:
        prerequisites = find_prerequisites()
    except StackUnavailable as reason:
        pytest.skip(f"deploy check cannot run here: {reason}")
    with running_stack(prerequisites=prerequisites) as stack:
        # In a thread of their own: the browser checks use Playwright's sync API, which refuses
        # to start where an asyncio loop runs, as in a test process whose browser tests (their
        # session-wide Playwright) ran first.
        with ThreadPoolExecutor(max_workers=1) as runner:
            checked = runner.submit(run_checks, stack=stack).result()
        outcomes = {outcome.name: outcome for outcome in checked}
        yield DeployRun(outcomes=outcomes, logs=log_tails(stack=stack))


@pytest.mark.parametrize("check", list(CHECKS))
def test_the_production_stack(check: str, deploy_run: DeployRun) -> None:
    outcome = deploy_run.outcomes[check]
    logs = "\n".join(f"--- {name}\n{tail}" for name, tail in deploy_run.logs.items())
    assert outcome.passed, f"{outcome.detail}\n{logs}"

"""Bounded retries of transient storage failures, by a RetryPolicy (common/retry.py)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from common.retry import RetryPolicy
from generator.artifacts.errors import ArtifactStoreError

logger = logging.getLogger(__name__)

T = TypeVar("T")
_RNG = random.Random()


class TransientError(Exception):
    """Internal: a failure worth retrying; `reason` is the one-line cause shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def call_with_retries(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    describe: str,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run `operation`, retrying when it raises TransientError, at most `policy.attempts` times.

    `describe` names the operation and its target (e.g. "upload to s3://bucket/key") for the log
    and for the ArtifactStoreError raised once every attempt failed. Any other exception passes
    through at once: it is not transient, so retrying would only delay the report.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            return operation()
        except TransientError as error:
            if attempt == policy.attempts:
                raise ArtifactStoreError(
                    f"{describe} failed after {attempt} attempt{'s' if attempt > 1 else ''}: "
                    f"{error.reason}"
                ) from error
            delay = policy.delay_before_retry(attempt, rng=rng or _RNG)
            logger.warning(
                "%s failed (attempt %d of %d): %s; retrying in %.2f s",
                describe,
                attempt,
                policy.attempts,
                error.reason,
                delay,
            )
            sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

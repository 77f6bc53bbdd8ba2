"""Bounded retries with exponential backoff and full jitter for transient storage failures."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from generator.artifacts.errors import ArtifactStoreError

logger = logging.getLogger(__name__)

T = TypeVar("T")


class TransientError(Exception):
    """Internal: a failure worth retrying; `reason` is the one-line cause shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try an operation and how long to wait between tries.

    The wait before retry n (1-based) is uniform in [0, min(max_delay, base_delay * 2**(n-1))]:
    "full jitter", so many workers failing together do not retry in lockstep.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts is {self.attempts}; it must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("base_delay and max_delay must not be negative")

    def delay_before_retry(self, retry_number: int) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return self.rng.uniform(0.0, ceiling)


def call_with_retries(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    describe: str,
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
            delay = policy.delay_before_retry(attempt)
            logger.warning(
                "%s failed (attempt %d of %d): %s; retrying in %.2f s",
                describe,
                attempt,
                policy.attempts,
                error.reason,
                delay,
            )
            policy.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

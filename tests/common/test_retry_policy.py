"""RetryPolicy: exponential backoff with full or equal jitter, bounded attempts."""

from __future__ import annotations

import random

import pytest

from common.retry import RetryPolicy


def test_delays_grow_exponentially_within_the_cap() -> None:
    policy = RetryPolicy(attempts=8, base_delay_s=1.0, max_delay_s=10.0)
    rng = random.Random(3)

    samples = {n: [policy.delay_before_retry(n, rng=rng) for _ in range(300)] for n in range(1, 7)}

    for retry_number, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (6, 10.0)]:
        assert all(0.0 <= delay <= ceiling for delay in samples[retry_number])
        assert max(samples[retry_number]) > 0.8 * ceiling  # jitter spans the whole window
    assert len(set(samples[1])) > 250  # jittered, not a fixed schedule


def test_it_refuses_a_policy_without_attempts() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(attempts=0)


def test_it_refuses_an_unknown_jitter() -> None:
    with pytest.raises(ValueError, match="'full' or 'equal'"):
        RetryPolicy(jitter="none")  # type: ignore[arg-type]

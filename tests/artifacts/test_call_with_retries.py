"""call_with_retries: the S3 store retries transient failures as its RetryPolicy says."""

from __future__ import annotations

import pytest

from common.retry import RetryPolicy
from generator.artifacts import ArtifactStoreError
from generator.artifacts.retry import TransientError, call_with_retries


def test_it_sleeps_between_tries_and_returns_the_first_success() -> None:
    slept: list[float] = []
    outcomes = iter([TransientError("503"), TransientError("503"), "stored"])

    def operation() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(attempts=5, base_delay_s=0.5, max_delay_s=1.0)

    assert (
        call_with_retries(operation, policy=policy, describe="upload", sleep=slept.append)
        == "stored"
    )
    assert len(slept) == 2


def test_it_stops_after_the_last_attempt_with_the_last_reason() -> None:
    calls: list[int] = []

    def always_throttled() -> None:
        calls.append(1)
        raise TransientError(f"SlowDown #{len(calls)}")

    policy = RetryPolicy(attempts=4, base_delay_s=0.0)

    with pytest.raises(
        ArtifactStoreError, match=r"^upload of x failed after 4 attempts: SlowDown #4$"
    ):
        call_with_retries(
            always_throttled, policy=policy, describe="upload of x", sleep=lambda _: None
        )
    assert len(calls) == 4


def test_errors_that_are_not_transient_are_not_retried() -> None:
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise ArtifactStoreError("S3 refused access")

    with pytest.raises(ArtifactStoreError, match="refused access"):
        call_with_retries(refused, policy=RetryPolicy(), describe="upload", sleep=lambda _: None)
    assert len(calls) == 1

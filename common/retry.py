"""How many times to try an operation that may fail for a moment, and how long to wait between
tries: exponential backoff with jitter, so many clients failing together do not retry in
lockstep. The Genius client and the S3 artifact store both retry by a RetryPolicy."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

# "full": the wait before retry n is uniform in [0, ceiling]; "equal": half the ceiling, plus a
# uniform share of the other half (never retries at once).
Jitter = Literal["full", "equal"]


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """`attempts` tries in all (the first included); the ceiling of the wait before retry n
    (1-based) is min(max_delay_s, base_delay_s * 2**(n-1)), jittered by `jitter`."""

    attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    jitter: Jitter = "full"

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts is {self.attempts}; it must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("base_delay_s and max_delay_s must not be negative")
        if self.jitter not in ("full", "equal"):
            raise ValueError(f"jitter is {self.jitter!r}; it must be 'full' or 'equal'")

    def delay_before_retry(self, retry_number: int, *, rng: random.Random) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry_number - 1))
        if self.jitter == "equal":
            return ceiling / 2 + rng.uniform(0.0, ceiling / 2)
        return rng.uniform(0.0, ceiling)

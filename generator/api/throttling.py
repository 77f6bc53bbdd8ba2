"""Per-client rate limit on generation, read from settings at request time."""

from __future__ import annotations

import logging

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from raplyrics import quota
from raplyrics.api_errors import ServiceUnavailable
from raplyrics.client_address import client_address

logger = logging.getLogger(__name__)
COUNTER_RETRY_AFTER_S = 10


class GenerateRateThrottle(SimpleRateThrottle):
    """`RAPLYRICS_GENERATE_RATE` requests per client address (raplyrics.client_address: a forged
    X-Forwarded-For buys no new quota), counted atomically across workers (raplyrics.quota)."""

    scope = "generate"

    def __init__(self) -> None:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self._retry_after_s: int | None = None

    def get_rate(self) -> str | None:
        return str(settings.RAPLYRICS_GENERATE_RATE)

    def get_cache_key(self, request: Request, view: object) -> str:
        return f"{self.scope}:{client_address(request._request)}"

    def allow_request(self, request: Request, view: object) -> bool:
        if self.num_requests is None or self.duration is None:
            return True
        try:
            verdict = quota.take(
                self.get_cache_key(request, view), limit=self.num_requests, window_s=self.duration
            )
        except quota.QuotaUnavailable as error:
            # Closed, not open: an outage of the counter must not lift every client's limit.
            logger.warning("generation refused: %s", error)
            raise ServiceUnavailable(
                f"Requests cannot be counted right now ({error}); try again in a moment.",
                retry_after_s=COUNTER_RETRY_AFTER_S,
            ) from None
        self._retry_after_s = verdict.retry_after_s
        return verdict.allowed

    def wait(self) -> float | None:
        return self._retry_after_s

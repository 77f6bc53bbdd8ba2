"""Per-client rate limit on generation, read from settings at request time."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class GenerateRateThrottle(SimpleRateThrottle):
    """`RAPLYRICS_GENERATE_RATE` requests per client address (X-Forwarded-For is trusted only as
    far as `NUM_PROXIES` in REST_FRAMEWORK says, so a forged header buys no new quota)."""

    scope = "generate"

    def get_rate(self) -> str | None:
        return str(settings.RAPLYRICS_GENERATE_RATE)

    def get_cache_key(self, request: object, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

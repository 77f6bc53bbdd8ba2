"""Sliding-window request quotas that many workers and threads share without losing a count.

`take(key, limit=..., window_s=...)` lets a request through when fewer than `limit` requests of
the same key were let through in the `window_s` seconds before it, and logs it if so. A window
that slides with each request holds the limit at every moment: a fixed window (a counter reset
on the minute) lets twice the limit through across its boundary, 30 in the last second of one
minute and 30 in the first of the next. Refused requests are not logged, so a client that keeps
asking while refused gets its quota back as its allowed requests age out.

The log is read and written as one step: a Lua script on Redis when the cache is Redis (a sorted
set of timestamps, pruned as it is read); with the file cache (the default, no service needed) an
exclusive file lock spans the read and the write, so gunicorn workers and threads on one host
agree. Other cache backends read and write under their own rules (the local-memory cache is
consistent within one process only).
"""

from __future__ import annotations

import fcntl
import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.cache import BaseCache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int  # requests in the window, this one included when allowed
    retry_after_s: int  # whole seconds until a request would be let through (1 at least)


# KEYS[1]: the log; ARGV: now, window_s, limit, a member unique to this request.
# Returns {allowed, count, oldest timestamp in the window as a string ("" when none)}.
_SLIDING_LOG_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {allowed, count, oldest[2] or ''}
"""


class QuotaUnavailable(Exception):
    """The store that counts requests cannot be reached (Redis down, the cache folder gone):
    nothing was counted, so the request cannot be let through."""


def take(key: str, *, limit: int, window_s: int, now: float | None = None) -> Verdict:
    """Count one request against `limit` per `window_s` seconds for `key`; QuotaUnavailable
    (one line) when the count cannot be kept."""
    moment = time.time() if now is None else now
    log_key = f"quota:{key}"
    try:
        cache = caches["default"]  # a file cache makes its folder here
        if isinstance(cache, RedisCache):
            allowed, count, oldest = _take_in_redis(cache, log_key, moment, limit, window_s)
        else:
            allowed, count, oldest = _take_in_cache(cache, log_key, moment, limit, window_s)
    except (RedisError, OSError) as error:
        raise QuotaUnavailable(f"the request counter cannot be reached ({error})") from None
    return Verdict(
        allowed=allowed, count=count, retry_after_s=_retry_after(oldest, moment, window_s)
    )


def _retry_after(oldest: float | None, moment: float, window_s: int) -> int:
    """Seconds until the oldest request in the window ages out of it (a full window if none)."""
    frees_at = moment + window_s if oldest is None else oldest + window_s
    return max(1, math.ceil(frees_at - moment))


def _take_in_redis(
    cache: RedisCache, log_key: str, moment: float, limit: int, window_s: int
) -> tuple[bool, int, float | None]:
    key = cache.make_and_validate_key(log_key)
    client: Any = cache._cache.get_client(key, write=True)  # type: ignore[attr-defined]
    allowed, count, oldest = client.eval(
        _SLIDING_LOG_SCRIPT, 1, key, repr(moment), window_s, limit, uuid.uuid4().hex
    )
    return bool(allowed), int(count), float(oldest) if oldest else None


def _take_in_cache(
    cache: BaseCache, log_key: str, moment: float, limit: int, window_s: int
) -> tuple[bool, int, float | None]:
    with _exclusive(cache):
        log = [stamp for stamp in cache.get(log_key, []) if stamp > moment - window_s]
        allowed = len(log) < limit
        if allowed:
            log.append(moment)
            log.sort()
            cache.set(log_key, log, timeout=window_s + 1)
    return allowed, len(log), log[0] if log else None


@contextmanager
def _exclusive(cache: BaseCache) -> Iterator[None]:
    """The file cache reads then writes the log: hold a lock beside its files meanwhile."""
    if not isinstance(cache, FileBasedCache):
        yield
        return
    folder = Path(cache._dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".quota.lock", "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)

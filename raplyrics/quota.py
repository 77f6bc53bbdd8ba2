"""Fixed-window request counters that many workers and threads share without losing a count.

`take(key, limit=..., window_s=...)` counts one request and says whether it fits the window's
limit. The count is one atomic increment: Redis' INCR when the cache is Redis; with the file cache
(the default, no service needed) an exclusive file lock spans the read and the write, so gunicorn
workers and threads on one host agree. Other cache backends increment under their own rules; the
local-memory cache is atomic within one process only.
"""

from __future__ import annotations

import fcntl
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import BaseCache, caches
from django.core.cache.backends.filebased import FileBasedCache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after_s: int


@contextmanager
def _exclusive(cache: BaseCache) -> Iterator[None]:
    """The file cache's increment reads then writes: hold a lock beside its files meanwhile."""
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


def take(key: str, *, limit: int, window_s: int, now: float | None = None) -> Verdict:
    """Count one request against `limit` per `window_s` seconds for `key`."""
    moment = time.time() if now is None else now
    window = int(moment // window_s)
    window_key = f"quota:{key}:{window}"
    cache = caches["default"]
    with _exclusive(cache):
        # add() is SET-if-absent, incr() is INCR on Redis: no count is lost between workers.
        cache.add(window_key, 0, timeout=window_s + 1)
        try:
            count = cache.incr(window_key)
        except ValueError:  # expired between add and incr: this request opens the window
            cache.set(window_key, 1, timeout=window_s + 1)
            count = 1
    retry_after = max(1, math.ceil((window + 1) * window_s - moment))
    return Verdict(allowed=count <= limit, count=count, retry_after_s=retry_after)

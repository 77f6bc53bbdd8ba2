"""Quotas count clients, not what clients write: a forged X-Forwarded-For buys nothing, and a
burst from many threads gets exactly the limit through."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory, override_settings

from raplyrics import quota
from raplyrics.client_address import client_address

pytestmark = pytest.mark.django_db

ZERO_LINES = {"prefix": "Late night", "lines": 0}  # refused after counting: no generation spent


def _ask(client: Client, **headers: str) -> int:
    response = client.post("/api/generate", ZERO_LINES, content_type="application/json", **headers)
    return response.status_code


def _address(remote: str, forwarded: str | None = None) -> str:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


@override_settings(RAPLYRICS_GENERATE_RATE="3/min", NUM_PROXIES=0)
def test_with_no_trusted_proxy_a_forged_forwarded_for_buys_no_quota(client: Client) -> None:
    codes = [_ask(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(6)]
    assert codes == [400, 400, 400, 429, 429, 429]


@override_settings(RAPLYRICS_GENERATE_RATE="3/min", NUM_PROXIES=1, TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_client_reaching_the_server_directly_cannot_pose_as_a_proxy(client: Client) -> None:
    codes = [
        _ask(client, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        for n in range(5)
    ]
    assert codes == [400, 400, 400, 429, 429]


@override_settings(RAPLYRICS_GENERATE_RATE="3/min", NUM_PROXIES=1, TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_the_proxy_only_the_entry_it_appended_counts(client: Client) -> None:
    codes = [_ask(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7") for n in range(5)]
    assert codes == [400, 400, 400, 429, 429]
    # Another real client behind the same proxy has a quota of its own.
    assert _ask(client, HTTP_X_FORWARDED_FOR="198.51.100.8") == 400


@pytest.mark.parametrize(
    ("proxies", "trusted", "remote", "forwarded", "expected"),
    [
        (0, ["127.0.0.1"], "127.0.0.1", "203.0.113.1", "127.0.0.1"),
        (1, ["127.0.0.1"], "127.0.0.1", "203.0.113.1, 198.51.100.7", "198.51.100.7"),
        (2, ["10.0.0.0/8"], "10.1.2.3", "6.6.6.6, 198.51.100.7, 10.9.9.9", "198.51.100.7"),
        (1, ["127.0.0.1"], "192.0.2.1", "203.0.113.1", "192.0.2.1"),
        (1, ["127.0.0.1"], "127.0.0.1", "not-an-address", "127.0.0.1"),
        (1, ["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),
        (1, ["::1"], "::1", "2001:db8::7", "2001:db8::7"),
    ],
)
def test_the_client_address_is_never_what_the_client_chose(
    settings: Any, proxies: int, trusted: list[str], remote: str, forwarded: str, expected: str
) -> None:
    settings.NUM_PROXIES = proxies
    settings.TRUSTED_PROXIES = trusted
    assert _address(remote, forwarded) == expected


def _burst(*, threads: int, each: int, limit: int) -> int:
    allowed = 0
    counted = threading.Lock()
    start = threading.Barrier(threads)

    def client() -> None:
        nonlocal allowed
        start.wait()
        for _ in range(each):
            if quota.take("burst:198.51.100.7", limit=limit, window_s=60, now=1_000_000.0).allowed:
                with counted:
                    allowed += 1

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return allowed


def test_a_burst_from_many_threads_gets_exactly_the_limit_through_the_file_cache() -> None:
    assert type(caches["default"]).__name__ == "FileBasedCache"
    assert _burst(threads=16, each=5, limit=30) == 30


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_a_burst_from_many_threads_gets_exactly_the_limit_through_redis(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/13",
            "KEY_PREFIX": f"quota-test-{os.getpid()}",
        }
    }
    caches["default"].clear()
    assert _burst(threads=16, each=5, limit=30) == 30


def test_a_new_window_starts_a_new_count() -> None:
    first = [quota.take("window", limit=2, window_s=60, now=120.0).allowed for _ in range(3)]
    later = quota.take("window", limit=2, window_s=60, now=180.5)
    assert first == [True, True, False]
    assert later.allowed
    assert later.retry_after_s == 60

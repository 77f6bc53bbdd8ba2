"""Quotas count clients, not what clients write: a forged X-Forwarded-For buys nothing, a burst
from many threads gets exactly the limit through, and the window slides: no minute boundary to
spend the quota twice across."""

from __future__ import annotations

import socket
import threading
import uuid
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


def _redis_cache(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/13",
            # A prefix of its own instead of clear(), which would empty the database under tests
            # running beside this one.
            "KEY_PREFIX": f"quota-test-{uuid.uuid4().hex}",
        }
    }


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_a_burst_from_many_threads_gets_exactly_the_limit_through_redis(settings: Any) -> None:
    _redis_cache(settings)
    assert _burst(threads=16, each=5, limit=30) == 30


@pytest.fixture(params=["file", "redis"])
def backend(request: pytest.FixtureRequest, settings: Any) -> str:
    if request.param == "redis":
        if not _redis_reachable():
            pytest.skip("no Redis on 127.0.0.1:6379")
        _redis_cache(settings)
    return str(request.param)


def test_the_limit_holds_across_a_minute_boundary(backend: str) -> None:
    # The attack a fixed window lets through: the whole quota in the last second of one minute,
    # the whole quota again in the first second of the next.
    late = [quota.take("edge", limit=3, window_s=60, now=119.5).allowed for _ in range(3)]
    early = [quota.take("edge", limit=3, window_s=60, now=120.5).allowed for _ in range(3)]
    assert late == [True, True, True]
    assert early == [False, False, False]
    assert quota.take("edge", limit=3, window_s=60, now=179.4).allowed is False
    assert quota.take("edge", limit=3, window_s=60, now=179.5).allowed  # a window after the first


def test_requests_age_out_one_by_one_and_refusals_cost_nothing(backend: str) -> None:
    assert quota.take("slide", limit=2, window_s=60, now=0.0).allowed
    assert quota.take("slide", limit=2, window_s=60, now=30.0).allowed
    refused = [quota.take("slide", limit=2, window_s=60, now=40.0 + n) for n in range(10)]
    assert not any(verdict.allowed for verdict in refused)
    assert refused[0].retry_after_s == 20  # the request at 0 leaves the window at 60
    assert refused[0].count == 2  # refusals are not logged
    assert quota.take("slide", limit=2, window_s=60, now=60.0).allowed
    later = quota.take("slide", limit=2, window_s=60, now=61.0)
    assert not later.allowed and later.retry_after_s == 29  # the request at 30 leaves at 90


def test_clients_have_windows_of_their_own(backend: str) -> None:
    assert quota.take("client:a", limit=1, window_s=60, now=5.0).allowed
    assert quota.take("client:b", limit=1, window_s=60, now=5.0).allowed
    assert not quota.take("client:a", limit=1, window_s=60, now=6.0).allowed


@pytest.mark.parametrize(
    "cache",
    [
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
        {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "in-a-file"},
    ],
    ids=["redis-down", "cache-folder-gone"],
)
def test_a_counter_that_cannot_be_reached_refuses_with_503_not_a_500_or_no_limit(
    client: Client, tmp_path: Any, cache: dict[str, str]
) -> None:
    if cache["LOCATION"] == "in-a-file":
        (tmp_path / "a-file").write_text("not a folder")
        cache = {**cache, "LOCATION": str(tmp_path / "a-file" / "cache")}
    with override_settings(CACHES={"default": cache}, RAPLYRICS_GENERATE_RATE="3/min"):
        response = client.post("/api/generate", ZERO_LINES, content_type="application/json")

    # Closed, not open: while requests cannot be counted, none is let through uncounted.
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    body = response.json()
    assert body["error"].startswith("Requests cannot be counted right now (the request counter ")
    assert body["retry_after"] == 10

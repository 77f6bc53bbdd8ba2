"""The client talks to a real HTTP server: auth, timeouts, bounded and counted retries."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from dataclasses import replace
from typing import Any

import pytest

from scraping.errors import (
    GeniusAuthError,
    GeniusNotFoundError,
    GeniusUnavailableError,
    MissingTokenError,
)
from scraping.genius_client import (
    GENIUS_RETRY,
    GeniusClient,
    GeniusClientConfig,
    parse_retry_after,
)
from tests.fakegenius.catalog import NOVA_QUILL_SONGS, nova_quill_song_id
from tests.fakegenius.server import FakeGenius, Fault
from tests.scraping.conftest import RecordingSleep


def test_it_sends_the_token_and_a_user_agent_to_the_api_but_not_the_token_to_song_pages(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    details = genius.song(20_001)
    genius.song_page_html(details.song.url)

    api_request, page_request = fake_genius.requests
    assert api_request.path == "/api/songs/20001"
    assert api_request.headers["authorization"] == "Bearer test-token-not-a-secret"
    assert api_request.headers["user-agent"].startswith("RapLyrics/")
    assert "authorization" not in page_request.headers
    assert page_request.headers["user-agent"].startswith("RapLyrics/")


def test_without_a_token_it_fails_in_one_line_before_any_request(
    client_config: GeniusClientConfig, fake_genius: FakeGenius
) -> None:
    with pytest.raises(MissingTokenError) as caught:
        GeniusClient(replace(client_config, access_token="  "))

    assert "GENIUS_ACCESS_TOKEN" in str(caught.value)
    assert "https://genius.com/api-clients" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert fake_genius.requests == []


def test_a_rejected_token_fails_fast_without_retrying(
    client_config: GeniusClientConfig, fake_genius: FakeGenius, sleeps: RecordingSleep
) -> None:
    client = GeniusClient(replace(client_config, access_token="revoked"), sleep=sleeps)

    with pytest.raises(GeniusAuthError, match=r"HTTP 401.*check GENIUS_ACCESS_TOKEN"):
        client.artist(101)

    assert fake_genius.hits("/api/artists/101") == 1
    assert client.retries.total == 0


def test_a_403_fails_fast_and_says_what_to_check(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    fake_genius.add_fault("/api/artists/101", Fault(status=403))

    with pytest.raises(GeniusAuthError, match=r"HTTP 403.*GENIUS_ACCESS_TOKEN"):
        genius.artist(101)

    assert fake_genius.hits("/api/artists/101") == 1


def test_it_honours_retry_after_on_429_and_counts_the_retry(
    genius: GeniusClient, fake_genius: FakeGenius, sleeps: RecordingSleep
) -> None:
    fake_genius.add_fault("/api/artists/101", Fault(status=429, headers={"Retry-After": "3"}))

    artist = genius.artist(101)

    assert artist.name == "Nova Quill"
    assert fake_genius.hits("/api/artists/101") == 2
    assert dict(genius.retries.by_reason) == {"HTTP 429": 1}
    assert len(sleeps.waits) == 1
    assert sleeps.waits[0] >= 3


def test_a_retry_after_far_in_the_future_fails_instead_of_hanging(
    genius: GeniusClient, fake_genius: FakeGenius, sleeps: RecordingSleep
) -> None:
    fake_genius.add_fault("/api/artists/101", Fault(status=429, headers={"Retry-After": "3600"}))

    with pytest.raises(GeniusUnavailableError, match="asks to wait 3600 s"):
        genius.artist(101)

    assert sleeps.waits == []


def test_it_retries_a_500_and_then_succeeds(
    genius: GeniusClient, fake_genius: FakeGenius, sleeps: RecordingSleep
) -> None:
    fake_genius.add_fault("/api/songs/20001", Fault(status=500))

    details = genius.song(20_001)

    assert details.song.title == "Glass Elevator"
    assert fake_genius.hits("/api/songs/20001") == 2
    assert dict(genius.retries.by_reason) == {"HTTP 500": 1}
    # First backoff of a 0.5 s base with equal jitter: between 0.25 and 0.5 s.
    assert 0.25 <= sleeps.waits[0] <= 0.5


def test_a_permanent_5xx_gives_up_after_the_bounded_number_of_retries(
    genius: GeniusClient, fake_genius: FakeGenius, sleeps: RecordingSleep
) -> None:
    fake_genius.add_fault("/api/songs/20001", Fault(status=503, times=None))

    with pytest.raises(
        GeniusUnavailableError, match=r"gave up after 4 attempts \(last: HTTP 503\)"
    ):
        genius.song(20_001)

    assert fake_genius.hits("/api/songs/20001") == 4
    assert genius.retries.by_reason["HTTP 503"] == 3
    # Exponential: each ceiling doubles (0.5, 1, 2), each wait is within [ceiling/2, ceiling].
    for wait, ceiling in zip(sleeps.waits, (0.5, 1.0, 2.0), strict=True):
        assert ceiling / 2 <= wait <= ceiling


def test_a_response_slower_than_the_read_timeout_is_retried(
    client_config: GeniusClientConfig, fake_genius: FakeGenius, sleeps: RecordingSleep
) -> None:
    client = GeniusClient(replace(client_config, read_timeout_s=0.2), sleep=sleeps)
    fake_genius.add_fault("/api/artists/202", Fault(status=200, delay_s=1.0))

    artist = client.artist(202)

    assert artist.name == "Ünder & Över"
    assert dict(client.retries.by_reason) == {"timeout": 1}
    assert fake_genius.hits("/api/artists/202") == 2


def test_a_server_that_refuses_connections_is_retried_then_reported(
    client_config: GeniusClientConfig, sleeps: RecordingSleep
) -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    client = GeniusClient(replace(client_config, api_url="http://127.0.0.1:9/api"), sleep=sleeps)

    with pytest.raises(GeniusUnavailableError, match="connection error"):
        client.artist(101)

    assert client.retries.by_reason == {"connection error": 3}


def test_an_unknown_artist_id_is_not_found_and_not_retried(
    genius: GeniusClient, fake_genius: FakeGenius
) -> None:
    with pytest.raises(GeniusNotFoundError):
        genius.artist(999_999)

    assert genius.retries.total == 0


def test_it_follows_next_page_through_the_whole_listing(genius: GeniusClient) -> None:
    pages: list[int] = []
    song_ids: list[int] = []
    page: int | None = 1
    while page is not None:
        pages.append(page)
        songs, page = genius.artist_songs_page(101, page=page)
        song_ids += [song.genius_id for song in songs]

    assert pages == [1, 2, 3]
    assert song_ids == [nova_quill_song_id(rank) for rank in range(1, NOVA_QUILL_SONGS + 1)]


def test_it_waits_the_configured_delay_between_requests(
    client_config: GeniusClientConfig, fake_genius: FakeGenius, sleeps: RecordingSleep
) -> None:
    # A frozen clock: every request after the first must wait the whole delay.
    client = GeniusClient(
        replace(client_config, request_delay_s=0.25), sleep=sleeps, clock=lambda: 100.0
    )

    client.artist(101)
    client.artist(202)
    client.artist(303)

    assert sleeps.waits == [0.25, 0.25]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    in_a_minute = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)

    assert parse_retry_after("7") == 7.0
    assert 55 <= (parse_retry_after(email.utils.format_datetime(in_a_minute)) or 0) <= 60
    assert parse_retry_after("soon") is None


def test_backoff_stays_within_its_ceiling() -> None:
    policy = replace(GENIUS_RETRY, base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(3)

    waits = [policy.delay_before_retry(n, rng=rng) for n in range(1, 7)]

    for wait, ceiling in zip(waits, (1, 2, 4, 8, 8, 8), strict=True):
        assert ceiling / 2 <= wait <= ceiling


def test_the_retry_settings_count_retries_after_the_first_attempt(settings: Any) -> None:
    settings.GENIUS_MAX_RETRIES = 2
    settings.GENIUS_BACKOFF_BASE_MS = 250

    retry = GeniusClientConfig.from_settings().retry

    assert retry.attempts == 3  # the first try and 2 retries
    assert retry.base_delay_s == 0.25
    assert retry == replace(GENIUS_RETRY, attempts=3, base_delay_s=0.25)

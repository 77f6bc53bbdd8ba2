"""A small Genius client on one `requests.Session`: auth, pacing, timeouts and bounded retries.

Retries are an explicit loop rather than urllib3's `Retry` so that every retry is counted by
reason (`client.retries`) — the scrape summary reports them and the tests assert on them.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import urljoin

import requests
from django.conf import settings

from common.retry import RetryPolicy
from scraping.errors import (
    GeniusAuthError,
    GeniusNotFoundError,
    GeniusResponseError,
    GeniusUnavailableError,
    MissingTokenError,
)
from scraping.genius_records import (
    GeniusArtist,
    GeniusSong,
    GeniusSongDetails,
    parse_artist,
    parse_song,
    parse_song_details,
)

logger = logging.getLogger(__name__)

USER_AGENT = "RapLyrics/0.1 (self-hosted lyrics dataset builder; python-requests)"
TOKEN_HELP = "create or copy a client access token at https://genius.com/api-clients"
SONGS_PER_PAGE = 50
# Equal jitter (never retry at once); 5 attempts = GENIUS_MAX_RETRIES' default of 4 retries.
GENIUS_RETRY = RetryPolicy(attempts=5, base_delay_s=0.5, max_delay_s=30.0, jitter="equal")


@dataclass(frozen=True, kw_only=True)
class GeniusClientConfig:
    access_token: str
    api_url: str = "https://api.genius.com"
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 15.0
    request_delay_s: float = 0.25
    retry: RetryPolicy = GENIUS_RETRY
    # A Retry-After beyond this means "come back much later": fail rather than hang a worker.
    retry_after_max_s: float = 120.0
    user_agent: str = USER_AGENT

    @classmethod
    def from_settings(cls) -> GeniusClientConfig:
        timeout_s = float(settings.GENIUS_TIMEOUT_S)
        return cls(
            access_token=settings.GENIUS_ACCESS_TOKEN,
            api_url=settings.GENIUS_API_URL,
            connect_timeout_s=min(timeout_s, 10.0),
            read_timeout_s=timeout_s,
            request_delay_s=settings.GENIUS_REQUEST_DELAY_MS / 1000,
            retry=replace(
                GENIUS_RETRY,
                attempts=settings.GENIUS_MAX_RETRIES + 1,
                base_delay_s=settings.GENIUS_BACKOFF_BASE_MS / 1000,
            ),
        )


@dataclass
class RetryStats:
    """Retries so far, by reason ("timeout", "connection error", "HTTP 429", "HTTP 503"…)."""

    by_reason: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())


class GeniusClient:
    def __init__(
        self,
        config: GeniusClientConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        # Checked before any request: a missing token is a setup mistake, not a network failure.
        if not config.access_token.strip():
            raise MissingTokenError()
        self.config = config
        self.retries = RetryStats()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._last_request_at: float | None = None
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": config.user_agent})

    # --- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> GeniusClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- endpoints -------------------------------------------------------------------------------
    def search(self, query: str) -> list[GeniusSong]:
        response = self._get_api("/search", params={"q": query, "per_page": 20})
        hits = response.get("hits")
        if not isinstance(hits, list):
            raise GeniusResponseError("GET /search answered without a 'hits' list")
        return [parse_song(hit.get("result")) for hit in hits if isinstance(hit, dict)]

    def artist(self, artist_id: int) -> GeniusArtist:
        return parse_artist(self._get_api(f"/artists/{artist_id}").get("artist"))

    def artist_songs_page(
        self, artist_id: int, *, page: int
    ) -> tuple[list[GeniusSong], int | None]:
        """One page of the artist's songs, most popular first, and the next page (or None)."""
        response = self._get_api(
            f"/artists/{artist_id}/songs",
            params={"sort": "popularity", "per_page": SONGS_PER_PAGE, "page": page},
        )
        songs = response.get("songs")
        if not isinstance(songs, list):
            raise GeniusResponseError(f"GET /artists/{artist_id}/songs answered without 'songs'")
        next_page = response.get("next_page")
        if next_page is not None and (not isinstance(next_page, int) or next_page <= page):
            raise GeniusResponseError(
                f"GET /artists/{artist_id}/songs: bad next_page {next_page!r}"
            )
        return [parse_song(song) for song in songs], next_page

    def song(self, song_id: int) -> GeniusSongDetails:
        return parse_song_details(self._get_api(f"/songs/{song_id}").get("song"))

    def song_page_html(self, url: str) -> str:
        """The public song page. The API token is not sent: it is for api.genius.com only."""
        response = self._get(url, what=f"song page {url}", authorised=False)
        # Without a declared charset requests assumes ISO-8859-1 for text/html; Genius is UTF-8.
        declared = "charset=" in response.headers.get("Content-Type", "").lower()
        encoding = response.encoding if declared and response.encoding else "utf-8"
        return response.content.decode(encoding, errors="replace")

    # --- transport -------------------------------------------------------------------------------
    def _get_api(self, path: str, *, params: dict[str, Any] | None = None) -> dict[str, Any]:
        url = urljoin(self.config.api_url.rstrip("/") + "/", path.lstrip("/"))
        response = self._get(url, params=params, what=f"GET {path}", authorised=True)
        try:
            body = response.json()
        except ValueError:
            raise GeniusResponseError(f"GET {path} did not answer JSON") from None
        payload = body.get("response") if isinstance(body, dict) else None
        if not isinstance(payload, dict):
            raise GeniusResponseError(f"GET {path} answered without a 'response' object")
        return payload

    def _get(
        self, url: str, *, what: str, authorised: bool, params: dict[str, Any] | None = None
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.config.access_token}"} if authorised else {}
        policy = self.config.retry
        timeout = (self.config.connect_timeout_s, self.config.read_timeout_s)
        attempt = 0
        while True:
            attempt += 1
            self._pace()
            wait_s: float | None = None
            try:
                response = self._session.get(url, params=params, headers=headers, timeout=timeout)
            except requests.Timeout:
                reason = "timeout"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                reason = "connection error"
            else:
                status = response.status_code
                if status < 400:
                    return response
                response.close()
                if status in (401, 403):
                    self._refuse(status=status, what=what, authorised=authorised)
                if status == 404:
                    raise GeniusNotFoundError(f"{what}: not found on Genius (HTTP 404)")
                if status != 429 and status < 500:
                    raise GeniusResponseError(f"{what}: Genius answered HTTP {status}")
                reason = f"HTTP {status}"
                if status == 429:
                    wait_s = self._retry_after_s(response, what=what)
            if attempt >= policy.attempts:
                raise GeniusUnavailableError(
                    f"{what}: gave up after {attempt} attempts (last: {reason})"
                )
            backoff_s = policy.delay_before_retry(attempt, rng=self._rng)
            # Retry-After is a floor the server asked for; the backoff still applies above it.
            delay_s = max(wait_s, backoff_s) if wait_s is not None else backoff_s
            self.retries.by_reason[reason] += 1
            logger.debug("%s: %s, retry %d in %.2f s", what, reason, attempt, delay_s)
            self._sleep(delay_s)

    def _pace(self) -> None:
        """Keep at least `request_delay_s` between the starts of two requests."""
        delay_s = self.config.request_delay_s
        if self._last_request_at is not None and delay_s > 0:
            remaining = self._last_request_at + delay_s - self._clock()
            if remaining > 0:
                self._sleep(remaining)
        self._last_request_at = self._clock()

    def _retry_after_s(self, response: requests.Response, *, what: str) -> float | None:
        raw = response.headers.get("Retry-After")
        if raw is None:
            return None
        seconds = parse_retry_after(raw)
        if seconds is None:
            return None
        if seconds > self.config.retry_after_max_s:
            raise GeniusUnavailableError(
                f"{what}: Genius is rate limiting and asks to wait {seconds:.0f} s; try again later"
            )
        return seconds

    @staticmethod
    def _refuse(*, status: int, what: str, authorised: bool) -> NoReturn:
        if not authorised:
            raise GeniusAuthError(
                f"{what}: genius.com refused the page (HTTP {status}); it may be blocking this "
                "address, wait before retrying or raise GENIUS_REQUEST_DELAY_MS"
            )
        if status == 401:
            raise GeniusAuthError(
                f"{what}: Genius rejected the access token (HTTP 401); check "
                f"GENIUS_ACCESS_TOKEN ({TOKEN_HELP})"
            )
        raise GeniusAuthError(
            f"{what}: Genius refused access (HTTP 403); check that GENIUS_ACCESS_TOKEN is a "
            f"current client access token and GENIUS_API_URL points at the API ({TOKEN_HELP})"
        )


def parse_retry_after(raw: str) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None when unreadable."""
    value = raw.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())

"""A fresh fake Genius per test, and clients pointed at it that never really sleep."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings

from common.retry import RetryPolicy
from scraping.genius_client import GeniusClient, GeniusClientConfig
from tests.fakegenius.catalog import default_catalog
from tests.fakegenius.server import FakeGenius

TOKEN = "test-token-not-a-secret"


class RecordingSleep:
    """Stands in for time.sleep: remembers every wait so backoff and Retry-After are checkable."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake_genius() -> Iterator[FakeGenius]:
    server = FakeGenius(catalog=default_catalog(), token=TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def client_config(fake_genius: FakeGenius) -> GeniusClientConfig:
    return GeniusClientConfig(
        access_token=TOKEN,
        api_url=fake_genius.api_url,
        connect_timeout_s=2.0,
        read_timeout_s=2.0,
        request_delay_s=0.0,
        retry=RetryPolicy(attempts=4, base_delay_s=0.5, max_delay_s=4.0, jitter="equal"),
    )


@pytest.fixture
def genius(client_config: GeniusClientConfig, sleeps: RecordingSleep) -> Iterator[GeniusClient]:
    with GeniusClient(client_config, sleep=sleeps) as client:
        yield client


@pytest.fixture
def genius_settings(settings: Settings, fake_genius: FakeGenius) -> Settings:
    """Django settings pointing the command, the task and the admin action at the fake."""
    settings.GENIUS_ACCESS_TOKEN = TOKEN
    settings.GENIUS_API_URL = fake_genius.api_url
    settings.GENIUS_REQUEST_DELAY_MS = 0
    settings.GENIUS_TIMEOUT_S = 5
    settings.GENIUS_MAX_RETRIES = 2
    settings.GENIUS_BACKOFF_BASE_MS = 1
    return settings

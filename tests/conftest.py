"""Fixtures every feature's tests share."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory

# The real S3 protocol (moto_server on 127.0.0.1), started once per session by whoever needs it.
pytest_plugins = ["tests.s3server"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttle counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def staff_client(db: None) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client

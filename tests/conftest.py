"""Fixtures every feature's tests share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from tests.factories import UserFactory

if TYPE_CHECKING:
    from generator.models import ModelVersion

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


@pytest.fixture
def demo_version(db: None) -> Iterator[ModelVersion]:
    """The shipped demo model registered as the active version (as `make run` does)."""
    from generator import serving
    from generator.demo.shipped import register_shipped_demo_model, shipped_model

    serving.clear_cache()
    yield register_shipped_demo_model(shipped_model(), name="demo")
    serving.clear_cache()

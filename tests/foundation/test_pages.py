from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import VerseFactory

pytestmark = pytest.mark.django_db


def test_the_health_check_answers_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_home_page_links_staff_to_the_admin(client: Client, staff_client: Client) -> None:
    VerseFactory()
    assert "/admin/" not in client.get("/").content.decode()
    assert "/admin/" in staff_client.get("/").content.decode()

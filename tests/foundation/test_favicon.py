"""The admin's pages name the site's icon, so browsers do not ask /favicon.ico (a 404)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_admin_pages_link_the_icon_and_it_is_served(client: Client, staff_client: Client) -> None:
    for page in (
        client.get(reverse("admin:login")),
        staff_client.get(reverse("admin:index")),
        staff_client.get(reverse("admin:lyrics_verse_changelist")),
    ):
        assert '<link rel="icon" href="/static/favicon.ico"' in page.content.decode()

    # Served from STATIC_ROOT (Apache's /static/ alias; runserver and `make run` in DEBUG).
    found = finders.find("favicon.ico")
    assert isinstance(found, str)
    with open(found, "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file

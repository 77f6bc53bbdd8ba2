"""Guessing admin passwords stops after a few tries, per address and per account, with a page
that says why; staff can unlock early from the admin."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _limit(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3


def _sign_in(username: str, password: str, *, address: str = "198.51.100.7") -> Any:
    return Client(REMOTE_ADDR=address).post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
    )


def _fail(times: int, username: str, *, address: str = "198.51.100.7") -> list[int]:
    return [_sign_in(username, "wrong guess", address=address).status_code for _ in range(times)]


def test_the_right_password_after_too_many_wrong_ones_is_refused_with_a_reason() -> None:
    UserFactory(username="editor", is_staff=True)
    assert _fail(3, "editor") == [200, 200, 429]  # the third failure locks

    response = _sign_in("editor", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_a_few_wrong_passwords_then_the_right_one_signs_in() -> None:
    UserFactory(username="editor", is_staff=True)
    _fail(2, "editor")
    assert _sign_in("editor", PASSWORD).status_code == 302


def test_the_account_stays_locked_from_another_address() -> None:
    UserFactory(username="editor", is_staff=True)
    _fail(3, "editor", address="198.51.100.7")
    assert _sign_in("editor", PASSWORD, address="203.0.113.9").status_code == 429


def test_the_address_stays_locked_for_another_account() -> None:
    UserFactory(username="editor", is_staff=True)
    UserFactory(username="curator", is_staff=True)
    _fail(3, "editor", address="198.51.100.7")
    assert _sign_in("curator", PASSWORD, address="198.51.100.7").status_code == 429
    assert _sign_in("curator", PASSWORD, address="203.0.113.9").status_code == 302


def test_a_forged_forwarded_for_does_not_reset_the_count() -> None:
    UserFactory(username="curator", is_staff=True)
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(3):
        client.post(
            reverse("admin:login"),
            {"username": f"nobody{n}", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    assert _sign_in("curator", PASSWORD, address="198.51.100.7").status_code == 429


def test_staff_unlock_an_account_by_deleting_its_access_attempts_in_the_admin(
    staff_client: Client,
) -> None:
    UserFactory(username="editor", is_staff=True)
    _fail(3, "editor")
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    assert attempts

    staff_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )

    assert not AccessAttempt.objects.exists()
    assert _sign_in("editor", PASSWORD).status_code == 302

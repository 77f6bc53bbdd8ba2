"""The API docs in a real Chromium (production CSP): no "Authorize" lock for the open API, every
error answer in the one shape, and real examples where Swagger UI would invent placeholders."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_show_every_answer_with_real_examples_and_no_lock(visit: Visit) -> None:
    visit.open("/api/docs/")
    page = visit.page

    operation = page.locator("#operations-api-generate")
    expect(operation).to_be_visible()
    expect(page.locator(".auth-wrapper .authorize")).to_have_count(0)
    expect(page.locator(".authorization__btn")).to_have_count(0)

    operation.locator(".opblock-summary").click()
    responses = operation.locator(".responses-table").first
    for code in ("200", "400", "403", "413", "429", "503"):
        expect(responses.locator(f"tr.response[data-code='{code}']")).to_have_count(1)
    expect(operation).to_contain_text("Late night on the corner")
    expect(operation).to_contain_text("Too many requests; try again in 12 s.")
    expect(operation).to_contain_text("Retry-After")
    assert "additionalProp1" not in operation.inner_text()
    assert visit.console_errors == []

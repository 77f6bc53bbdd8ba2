"""A model version's admin page, with an evaluation, in a real Chromium under the production CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from generator.models import ModelVersion
from tests.browser.conftest import Visit
from tests.evaluation.stored_evaluations import GOOD, STUBBY, version_with_evaluations
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def log_in_as_staff(visit: Visit) -> None:
    user = UserFactory(is_staff=True, is_superuser=True)
    visit.open("/admin/login/")
    visit.page.fill("#id_username", user.username)
    visit.page.fill("#id_password", PASSWORD)
    visit.page.click("input[type=submit]")
    expect(visit.page.locator("#user-tools")).to_be_visible()


def test_staff_read_a_versions_quality_beside_its_corpus(visit: Visit) -> None:
    version_with_evaluations("older-version", STUBBY)
    version: ModelVersion = version_with_evaluations("shown-version", GOOD)
    log_in_as_staff(visit)

    visit.open(f"/admin/generator/modelversion/{version.pk}/change/")
    page = visit.page

    table = page.locator("table.quality-table")
    expect(table).to_be_visible()
    expect(table.locator("thead th")).to_have_text(
        ["measure", "corpus (1 held out)", f"shown-version ({version.created_at:%Y-%m-%d %H:%M})"]
    )
    expect(table.locator("tbody th", has_text="rhyme density")).to_have_count(1)
    expect(page.locator("blockquote.sample-verse").first).to_contain_text("sweet like honey")
    chart = page.locator('svg[aria-label="model versions compared"]')
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("older-version")
    assert visit.console_errors == []

    visit.open("/admin/generator/modelversion/")
    expect(page.locator("#result_list")).to_contain_text("shown-version")
    expect(page.locator("#result_list thead")).to_contain_text("Rhyme density")
    # Every column shows in a 1280 px window (the loss and evaluation columns were cut off).
    right = "document.querySelector('#result_list').getBoundingClientRect().right"
    assert page.evaluate(right) <= 1280
    visit.open("/admin/generator/trainingrun/")
    expect(page.locator("#result_list")).to_contain_text("run #")
    assert page.evaluate(right) <= 1280
    assert visit.console_errors == []

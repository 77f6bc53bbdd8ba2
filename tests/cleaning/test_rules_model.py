"""CleaningRule as data: refused when it cannot compile, whichever door saves it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from lyrics.models import CleaningRule


@pytest.mark.django_db
def test_an_invalid_regex_is_refused_at_save_time_with_the_regex_error() -> None:
    with pytest.raises(ValidationError) as caught:
        CleaningRule.objects.create(position=1, name="broken", pattern="(unclosed")
    assert (
        "invalid regex: missing ), unterminated subpattern"
        in caught.value.message_dict["pattern"][0]
    )
    assert not CleaningRule.objects.filter(name="broken").exists()


@pytest.mark.django_db
def test_a_bad_group_reference_is_reported_on_the_replacement() -> None:
    rule = CleaningRule(position=1, name="bad group", pattern="(a)", replacement=r"\2")
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert "replacement" in caught.value.message_dict

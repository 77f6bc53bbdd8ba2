"""Numbers as staff read them (generator/formatting.py)."""

from __future__ import annotations

import pytest

from generator.formatting import (
    format_bytes,
    format_count,
    format_duration,
    format_loss,
    format_rate,
)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (23.478384979999646, "23 s"),
        (0.42, "0.4 s"),
        (59.6, "1 min"),
        (245, "4 min 5 s"),
        (3600, "1 h"),
        (7380, "2 h 3 min"),
        (None, "—"),
    ],
)
def test_durations_read_in_seconds_minutes_and_hours(seconds: float | None, words: str) -> None:
    assert format_duration(seconds) == words


def test_a_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        format_duration(-1)


def test_rates_have_thousands_separators_and_no_false_precision() -> None:
    assert format_rate(1625.3479617607527) == "1,625 windows/s"
    assert format_rate(12.6, unit="songs") == "13 songs/s"
    assert format_rate(None) == "—"


def test_losses_have_three_decimals() -> None:
    assert format_loss(1.2345678) == "1.235"
    assert format_loss(2) == "2.000"
    assert format_loss(None) == "—"


def test_counts_and_sizes() -> None:
    assert format_count(12300) == "12,300"
    assert format_bytes(512) == "512 bytes"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(3_400_000) == "3.2 MiB"
    assert format_bytes(5 * 1024**4) == "5,120.0 GiB"

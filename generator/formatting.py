"""Numbers as staff read them in the studio: durations, rates, losses and sizes.

Plain functions of plain values (no Django), shared by the run and version pages, the studio
home and the charts. A missing value (None) reads as an em dash everywhere.
"""

from __future__ import annotations

MISSING = "—"


def format_duration(seconds: float | None) -> str:
    """23.47 → "23 s", 245 → "4 min 5 s", 7380 → "2 h 3 min"; under a second "0.4 s"."""
    if seconds is None:
        return MISSING
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative; got {seconds}")
    if seconds < 1:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def format_rate(per_second: float | None, unit: str = "windows") -> str:
    """1625.3479 → "1,625 windows/s" (thousands separated, no false precision)."""
    if per_second is None:
        return MISSING
    return f"{per_second:,.0f} {unit}/s"


def format_loss(loss: float | None) -> str:
    """1.2345678 → "1.235": three decimals tell runs apart without noise."""
    if loss is None:
        return MISSING
    return f"{loss:.3f}"


def format_count(count: int | None) -> str:
    """12300 → "12,300"."""
    if count is None:
        return MISSING
    return f"{count:,}"


def format_bytes(size: int | None) -> str:
    """512 → "512 bytes", 1536 → "1.5 KiB", 3_400_000 → "3.2 MiB"."""
    if size is None:
        return MISSING
    if size < 1024:
        return f"{size:,} bytes"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} GiB"

"""A loss curve as a small SVG, drawn on the server (no JavaScript, no external assets)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD = 480, 200, 32
SERIES = (("loss", "#2563eb", "train"), ("val_loss", "#dc2626", "validation"))


def _points(values: Sequence[float], low: float, high: float) -> str:
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    return " ".join(
        f"{PAD + i * step:.1f},{HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD):.1f}"
        for i, v in enumerate(values)
    )


def loss_chart_svg(epoch_metrics: Sequence[dict[str, float | None]]) -> SafeString:
    """Train and validation loss per epoch; an explanatory line when there is nothing to draw."""
    series = {
        key: [float(m[key]) for m in epoch_metrics if m.get(key) is not None]
        for key, _, _ in SERIES
    }
    everything = [v for values in series.values() for v in values]
    if not everything:
        return format_html("<p>{}</p>", "No epoch has finished yet.")
    low, high = min(everything), max(everything)
    lines = format_html_join(
        "",
        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title>'
        "</polyline>",
        (
            (colour, _points(series[key], low, high), label)
            for key, colour, label in SERIES
            if series[key]
        ),
    )
    legend = format_html_join(
        "",
        '<text x="{}" y="16" fill="{}" font-size="12">{}</text>',
        ((PAD + i * 110, colour, label) for i, (_, colour, label) in enumerate(SERIES)),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
        'aria-label="loss per epoch">{legend}'
        '<text x="2" y="{top}" font-size="11">{high}</text>'
        '<text x="2" y="{bottom}" font-size="11">{low}</text>'
        '<line x1="{p}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#888"/>{lines}</svg>',
        w=WIDTH,
        h=HEIGHT,
        legend=legend,
        top=PAD,
        bottom=HEIGHT - PAD,
        right=WIDTH - PAD,
        p=PAD,
        # format_html escapes its arguments into strings first: format the numbers here.
        high=f"{high:.3f}",
        low=f"{low:.3f}",
        lines=lines,
    )

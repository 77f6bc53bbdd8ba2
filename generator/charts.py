"""A loss curve as a small SVG, drawn on the server (no JavaScript, no external assets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


# -- model versions compared on their latest evaluations -----------------------------------------

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH = 14, 4, 140, 220, 70
BAR_COLOUR, HIGHLIGHT_COLOUR, CORPUS_COLOUR = "#93c5fd", "#2563eb", "#dc2626"


def quality_chart_svg(
    versions: Sequence[tuple[str, dict[str, Any]]],
    *,
    corpus: dict[str, Any] | None,
    highlight: str | None = None,
) -> SafeString:
    """One bar per version for each summary measure (bits/char, rhyme density, copied lines,
    words/line), the corpus's value as a red line across the bars; `highlight` (a version's
    name) is drawn darker. An explanatory line when no version has an evaluation."""
    from generator.ml.evaluation.table import COLUMNS_BY_KEY, SUMMARY_KEYS

    if not versions:
        return format_html("<p>{}</p>", "No version has been evaluated yet (manage.py evaluate).")
    panel_height = 22 + len(versions) * (BAR_HEIGHT + BAR_GAP)
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = []
    for panel, key in enumerate(SUMMARY_KEYS):
        column = COLUMNS_BY_KEY[key]
        top = panel * panel_height
        values = [row.get(key) for _, row in versions]
        reference = corpus.get(key) if corpus else None
        high = max([float(v) for v in values if v is not None] + [float(reference or 0)]) or 1.0
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="12" font-weight="bold">{} ({})</text>',
                top + 14,
                column.label,
                column.better,
            )
        )
        for row_number, ((name, _), value) in enumerate(zip(versions, values, strict=True)):
            y = top + 22 + row_number * (BAR_HEIGHT + BAR_GAP)
            length = 0.0 if value is None else float(value) / high * BAR_WIDTH
            colour = HIGHLIGHT_COLOUR if name == highlight else BAR_COLOUR
            parts.append(
                format_html(
                    '<text x="0" y="{}" font-size="11">{}</text>'
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title>'
                    '</rect><text x="{}" y="{}" font-size="11">{}</text>',
                    y + BAR_HEIGHT - 3,
                    name[:22],
                    LABEL_WIDTH,
                    y,
                    f"{length:.1f}",
                    BAR_HEIGHT,
                    colour,
                    name,
                    column.format(value),
                    LABEL_WIDTH + BAR_WIDTH + 6,
                    y + BAR_HEIGHT - 3,
                    column.format(value),
                )
            )
        if reference is not None:
            x = LABEL_WIDTH + float(reference) / high * BAR_WIDTH
            parts.append(
                format_html(
                    '<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{c}" stroke-width="2">'
                    "<title>corpus (held-out verses): {v}</title></line>",
                    x=f"{x:.1f}",
                    y1=top + 20,
                    y2=top + panel_height - 2,
                    c=CORPUS_COLOUR,
                    v=column.format(reference),
                )
            )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img" '
        'aria-label="model versions compared">{}</svg>',
        width,
        panel_height * len(SUMMARY_KEYS),
        format_html_join("", "{}", ((part,) for part in parts)),
    )

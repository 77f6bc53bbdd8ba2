"""Charts as small SVGs drawn on the server (no JavaScript, no external assets): a run's loss
curves, and model versions compared on their evaluations."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from generator.formatting import format_duration, format_loss

# The plot area sits inside these margins: loss labels on the left, epochs and wall time below.
WIDTH, HEIGHT = 560, 270
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 64
SERIES = (("loss", "#2563eb", "train"), ("val_loss", "#dc2626", "validation"))
# At most this many epochs are labelled on the axis (every k-th when there are more).
MAX_EPOCH_TICKS = 8
LOSS_TICKS = 4


@dataclass(frozen=True)
class _Epoch:
    number: int
    elapsed_s: float | None  # wall time from the run's start to this epoch's end
    values: dict[str, float]


def _epochs(epoch_metrics: Sequence[dict[str, Any]]) -> list[_Epoch]:
    epochs, elapsed = [], 0.0
    timed = all(row.get("seconds") is not None for row in epoch_metrics)
    for index, row in enumerate(epoch_metrics):
        if timed:
            elapsed += float(row["seconds"])
        epochs.append(
            _Epoch(
                number=int(row.get("epoch") or index + 1),
                elapsed_s=elapsed if timed else None,
                values={key: float(row[key]) for key, _, _ in SERIES if row.get(key) is not None},
            )
        )
    return epochs


def loss_chart_svg(
    epoch_metrics: Sequence[dict[str, Any]], *, best_epoch: int | None = None
) -> SafeString:
    """Train and validation loss per epoch, drawn against the epoch (x axis) with the wall time
    at each labelled epoch's end beneath it, and the loss on a labelled y axis; the kept (best)
    epoch is circled. An explanatory line when there is nothing to draw."""
    epochs = _epochs(epoch_metrics)
    everything = [value for epoch in epochs for value in epoch.values.values()]
    if not everything:
        return format_html("<p>{}</p>", "No epoch has finished yet.")
    low, high = min(everything), max(everything)
    span = (high - low) or 1.0
    first, last = epochs[0].number, epochs[-1].number
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_height

    def x(number: int) -> float:
        return LEFT + (number - first) / max(last - first, 1) * plot_width

    def y(value: float) -> float:
        return bottom - (value - low) / span * plot_height

    parts: list[SafeString] = []
    for tick in range(LOSS_TICKS):
        value = low + span * tick / (LOSS_TICKS - 1) if high > low else low
        parts.append(
            format_html(
                '<line x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="#e5e7eb"/>'
                '<text x="{tx}" y="{ty}" font-size="11" text-anchor="end">{v}</text>',
                l=LEFT,
                r=WIDTH - RIGHT,
                y=f"{y(value):.1f}",
                tx=LEFT - 6,
                ty=f"{y(value) + 4:.1f}",
                v=format_loss(value),
            )
        )
        if high == low:
            break
    # Every k-th epoch counted back from the last, which is always labelled (evenly spaced).
    step = max(1, math.ceil(len(epochs) / MAX_EPOCH_TICKS))
    labelled = epochs[::-1][::step][::-1]
    for epoch in labelled:
        parts.append(
            format_html(
                '<line x1="{x}" y1="{b}" x2="{x}" y2="{t}" stroke="#888"/>'
                '<text x="{x}" y="{ey}" font-size="11" text-anchor="middle"'
                ' class="epoch-tick">{n}</text>'
                '<text x="{x}" y="{wy}" font-size="10" text-anchor="middle" fill="#555"'
                ' class="time-tick">{w}</text>',
                x=f"{x(epoch.number):.1f}",
                b=bottom,
                t=bottom + 4,
                ey=bottom + 16,
                n=epoch.number,
                wy=bottom + 30,
                w="" if epoch.elapsed_s is None else format_duration(epoch.elapsed_s),
            )
        )
    for key, colour, label in SERIES:
        points = [(epoch.number, epoch.values[key]) for epoch in epochs if key in epoch.values]
        if not points:
            continue
        parts.append(
            format_html(
                '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title>'
                "</polyline>",
                colour,
                " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in points),
                label,
            )
        )
    kept = next((epoch for epoch in epochs if epoch.number == best_epoch), None)
    if kept is not None and "val_loss" in kept.values:
        parts.append(
            format_html(
                '<circle cx="{}" cy="{}" r="5" fill="none" stroke="#111" stroke-width="1.5">'
                "<title>kept: epoch {}, validation loss {}</title></circle>",
                f"{x(kept.number):.1f}",
                f"{y(kept.values['val_loss']):.1f}",
                kept.number,
                format_loss(kept.values["val_loss"]),
            )
        )
    legend = format_html_join(
        "",
        '<text x="{}" y="16" fill="{}" font-size="12">{}</text>',
        ((LEFT + i * 110, colour, label) for i, (_, colour, label) in enumerate(SERIES)),
    )
    has_time = epochs[-1].elapsed_s is not None
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
        'aria-label="loss per epoch" class="loss-chart">{legend}'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/>'
        '<line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="#888"/>{parts}'
        '<text x="{r}" y="{ex}" font-size="11" text-anchor="end" class="axis-title">{etitle}</text>'
        '<text x="12" y="{my}" font-size="11" transform="rotate(-90 12 {my})"'
        ' text-anchor="middle" class="axis-title">loss</text></svg>',
        w=WIDTH,
        h=HEIGHT,
        legend=legend,
        l=LEFT,
        r=WIDTH - RIGHT,
        t=TOP,
        b=bottom,
        parts=format_html_join("", "{}", ((part,) for part in parts)),
        ex=bottom + 48,
        etitle="epoch (wall time at its end)" if has_time else "epoch",
        my=TOP + plot_height // 2,
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

"""The shape of verses: how long their lines are, how many are stubs, how many went missing.

- words per line: mean, 10th and 90th percentile (numpy's linear interpolation);
- `short_line_share`: lines of fewer than `SHORT_LINE_WORDS` (3) words ("Should meet");
- `lines_per_verse`: mean lines a verse has;
- `dropped_line_share` / `cut_off_line_share`: of the lines asked for, those the writer left out
  (no acceptable candidate, or no letter) and those that hit the line length limit before
  their end; None for verses nobody asked for (the corpus row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from generator.ml.evaluation.words import Verse, line_words

SHORT_LINE_WORDS = 3


@dataclass(frozen=True)
class WritingCounts:
    """What the writer did: lines asked for, left out, and cut off at the length limit."""

    requested: int
    dropped: int
    cut_off: int


@dataclass(frozen=True)
class Shape:
    words_per_line: float | None
    words_per_line_p10: float | None
    words_per_line_p90: float | None
    short_line_share: float | None
    lines_per_verse: float | None
    dropped_line_share: float | None
    cut_off_line_share: float | None


def shape(verses: Sequence[Verse], *, writing: WritingCounts | None = None) -> Shape:
    counts = np.array([len(line_words(line)) for verse in verses for line in verse], dtype=float)
    has_lines = counts.size > 0
    asked = writing is not None and writing.requested > 0
    return Shape(
        words_per_line=float(counts.mean()) if has_lines else None,
        words_per_line_p10=float(np.percentile(counts, 10)) if has_lines else None,
        words_per_line_p90=float(np.percentile(counts, 90)) if has_lines else None,
        short_line_share=float((counts < SHORT_LINE_WORDS).mean()) if has_lines else None,
        lines_per_verse=counts.size / len(verses) if verses else None,
        dropped_line_share=writing.dropped / writing.requested if asked and writing else None,
        cut_off_line_share=writing.cut_off / writing.requested if asked and writing else None,
    )

"""The measures as a table: one line per measure, one column per row (the corpus, models).

`COLUMNS` names every measure shown, in order, with how to print it; `SUMMARY_KEYS` are the four
the model list shows. Missing values print as "—" (the corpus row has no loss; a row of no
verses has no words).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # "number" (3 decimals), "share" (a percentage), "count" (an integer)
    better: str  # how to read it, in a few words

    def format(self, value: Any) -> str:
        if value is None:
            return "—"
        if self.kind == "share":
            return f"{100 * float(value):.1f}%"
        if self.kind == "count":
            return f"{int(value)}"
        return f"{float(value):.3f}"


COLUMNS: tuple[Column, ...] = (
    Column("loss", "held-out loss", "number", "lower: predicts unseen lines better"),
    Column("bits_per_char", "bits/char", "number", "lower"),
    Column("rhyme_density", "rhyme density", "number", "near the corpus; higher rhymes more"),
    Column("copied_line_share", "copied lines", "share", "lower: recites less"),
    Column("copied_ngram_share", "copied 6-grams", "share", "near the corpus"),
    Column("longest_copied_span", "longest copied span (words)", "count", "lower"),
    Column("non_word_share", "non-words", "share", "lower"),
    Column("words_per_line", "words/line", "number", "near the corpus"),
    Column("words_per_line_p10", "words/line p10", "number", "near the corpus"),
    Column("words_per_line_p90", "words/line p90", "number", "near the corpus"),
    Column("short_line_share", "lines under 3 words", "share", "lower"),
    Column("lines_per_verse", "lines/verse", "number", "as asked"),
    Column("dropped_line_share", "lines dropped", "share", "lower"),
    Column("cut_off_line_share", "lines cut off", "share", "lower"),
    Column("distinct_2", "distinct-2", "number", "higher: more varied"),
    Column("repeated_line_share", "repeated lines", "share", "lower"),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
SUMMARY_KEYS = ("bits_per_char", "rhyme_density", "copied_line_share", "words_per_line")


def format_value(key: str, value: Any) -> str:
    return COLUMNS_BY_KEY[key].format(value)


def table_cells(rows: Sequence[tuple[str, dict[str, Any]]]) -> list[list[str]]:
    """Header then one line per measure: [label, value of each row...]."""
    cells = [["measure", *(name for name, _ in rows)]]
    for column in COLUMNS:
        cells.append([column.label, *(column.format(row.get(column.key)) for _, row in rows)])
    return cells


def format_table(rows: Sequence[tuple[str, dict[str, Any]]], *, markdown: bool = False) -> str:
    """The rows side by side, as aligned text (or a Markdown table)."""
    cells = table_cells(rows)
    if markdown:
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + " --- |" * len(cells[0])]
        lines += ["| " + " | ".join(line) + " |" for line in cells[1:]]
        return "\n".join(lines)
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in cells
    )

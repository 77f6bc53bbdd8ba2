"""The API's JSON parser: DRF's, with the limits a body must keep before anyone reads it.

A body nested deeper than `MAX_DEPTH` levels is refused (Python's own parser would raise
RecursionError near 1,000), and so is text holding a lone surrogate (`"\\ud800"`), which no
response could echo back as UTF-8.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A request is a flat object whose deepest value is a list of temperatures: 2 levels. 32 is room.
MAX_DEPTH = 32


def _problem(document: Any) -> str | None:
    """Why this parsed document is refused, or None; iterative, so depth cannot overflow it."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            return f"JSON nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "the JSON holds a lone surrogate (like \\ud800), which is not text"
    return None


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            document = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested more than {MAX_DEPTH} levels deep") from None
        problem = _problem(document)
        if problem is not None:
            raise ParseError(problem)
        return document

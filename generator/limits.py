"""What one generation request may ask for: the API validates against these, the page shows them."""

from __future__ import annotations

PREFIX_MAX_CHARS = 500
LINES_MIN, LINES_MAX, LINES_DEFAULT = 1, 16, 5
CANDIDATES_MIN, CANDIDATES_MAX, CANDIDATES_DEFAULT = 1, 16, 4
TEMPERATURE_MIN, TEMPERATURE_MAX = 0.1, 2.0
TEMPERATURES_MAX_COUNT = 8
# The original project's per-line temperatures.
TEMPERATURE_DEFAULT = (0.5, 0.6, 0.7)
SEED_MAX = 2**31 - 1
LINE_MAX_CHARS = 100
# Which lines rhyme: AABB (couplets), ABAB (alternate), free (no rhyme aimed at).
RHYME_SCHEMES = ("AABB", "ABAB", "free")
RHYME_SCHEME_DEFAULT = "AABB"

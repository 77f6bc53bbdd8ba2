"""What one generation request may ask for: the API validates against these, the page shows them."""

from __future__ import annotations

PREFIX_MAX_CHARS = 500
LINES_MIN, LINES_MAX, LINES_DEFAULT = 1, 16, 5
# Default 8 candidates at 0.8/0.9/1.0: with the verse model, the only point of bench/
# tune_sampling.py's grid meeting every quality target of issue 17 (docs/quality.md).
CANDIDATES_MIN, CANDIDATES_MAX, CANDIDATES_DEFAULT = 1, 16, 8
TEMPERATURE_MIN, TEMPERATURE_MAX = 0.1, 2.0
TEMPERATURES_MAX_COUNT = 8
# Per-line temperatures (the original project's were 0.5/0.6/0.7): hotter, for more varied
# lines, whose broken words the extra candidates let the chooser reject.
TEMPERATURE_DEFAULT = (0.8, 0.9, 1.0)
SEED_MAX = 2**31 - 1
LINE_MAX_CHARS = 100
# Which lines rhyme: AABB (couplets), ABAB (alternate), free (no rhyme aimed at).
RHYME_SCHEMES = ("AABB", "ABAB", "free")
RHYME_SCHEME_DEFAULT = "AABB"

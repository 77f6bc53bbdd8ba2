"""What one generation request may ask for: the API validates against these, the page shows them.

The model core's own constants are the source (generator.ml.lyrics_writer, .streams, .syllables,
.cowrite); the API adds its own narrower policy only where a public request should ask for less
than a library caller may (the prefix's length, the seed's range).
"""

from __future__ import annotations

from generator.ml.cowrite import MAX_KEPT_LINE_CHARS, TEMPERATURE_SAFE, TEMPERATURE_WILD
from generator.ml.cowrite import TEMPERATURE_DEFAULT as COWRITE_TEMPERATURE_DEFAULT
from generator.ml.lyrics_writer import (
    DEFAULT_CANDIDATES,
    DEFAULT_MAX_LINE_CHARS,
    DEFAULT_RHYME_SCHEME,
    DEFAULT_TEMPERATURES,
    MAX_CANDIDATES,
    MAX_LINES,
)
from generator.ml.lyrics_writer import RHYME_SCHEMES as WRITER_RHYME_SCHEMES
from generator.ml.streams import MAX_TEMPERATURES
from generator.ml.syllables import MAX_SYLLABLES

PREFIX_MAX_CHARS = 500
LINES_MIN, LINES_MAX, LINES_DEFAULT = 1, MAX_LINES, 5
CANDIDATES_MIN, CANDIDATES_MAX, CANDIDATES_DEFAULT = 1, MAX_CANDIDATES, DEFAULT_CANDIDATES
# The "safe — wild" control's ends (the core allows up to 10; past 2 is noise).
TEMPERATURE_MIN, TEMPERATURE_MAX = TEMPERATURE_SAFE, TEMPERATURE_WILD
TEMPERATURES_MAX_COUNT = MAX_TEMPERATURES
# The original project's per-line temperatures.
TEMPERATURE_DEFAULT = DEFAULT_TEMPERATURES
# A co-writing move takes one temperature.
COWRITE_TEMPERATURE = COWRITE_TEMPERATURE_DEFAULT
# Seeds a person can type and read back (the core takes up to 2**63-1).
SEED_MAX = 2**31 - 1
LINE_MAX_CHARS = DEFAULT_MAX_LINE_CHARS
# A line of a verse being co-written or saved: a written opening and the model's continuation.
VERSE_LINE_MAX_CHARS = MAX_KEPT_LINE_CHARS
assert PREFIX_MAX_CHARS + LINE_MAX_CHARS <= VERSE_LINE_MAX_CHARS
# Which lines rhyme: AABB (couplets), ABAB (alternate), free (no rhyme aimed at).
RHYME_SCHEMES = WRITER_RHYME_SCHEMES
RHYME_SCHEME_DEFAULT = DEFAULT_RHYME_SCHEME
SYLLABLES_MIN, SYLLABLES_MAX = 1, MAX_SYLLABLES

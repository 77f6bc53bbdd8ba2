"""How varied the verses are, taken together.

- `distinct_2` (Li et al., 2016): distinct word pairs over all word pairs, pairs taken within a
  line, over all verses together; 1.0 when no pair repeats, low when verses say the same thing;
- `repeated_line_share`: lines that, normalised (`originality.normalise_line`), equal an earlier
  line of any of the verses.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from generator.ml.evaluation.words import Verse, line_words
from generator.ml.originality import normalise_line


@dataclass(frozen=True)
class Diversity:
    distinct_2: float | None  # None without a line of two words
    repeated_line_share: float | None  # None without lines


def diversity(verses: Sequence[Verse]) -> Diversity:
    word_lists = [line_words(line) for verse in verses for line in verse]
    pairs = [pair for words in word_lists for pair in itertools.pairwise(words)]
    lines = [normalise_line(line) for verse in verses for line in verse]
    seen: set[str] = set()
    repeated = 0
    for line in lines:
        if line in seen:
            repeated += 1
        seen.add(line)
    return Diversity(
        distinct_2=len(set(pairs)) / len(pairs) if pairs else None,
        repeated_line_share=repeated / len(lines) if lines else None,
    )

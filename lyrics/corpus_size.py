"""When is a corpus too small to train anything good? A threshold measured, not guessed.

`bench/corpus_size.py` fine-tuned the pretrained network as a verse model on the first verses
of the demo corpus, cut at a few sizes, and measured each on the same held-out verses
(docs/quality.md, "How small is too small"): the loss falls about evenly with each doubling of
the text (1.541 at 2.4k characters, 1.498 at 4.8k, 1.472 at 9.9k, 1.437 at 19.7k, 1.407 at the
whole 33k), from 1.616 untrained. Below `SMALL_CORPUS_CHARS` characters of distinct verse the
model stays at least 0.065 nats a character above the whole demo corpus's model, about a third
of the way back to the untrained network; the site and the admin say so.

Distinct text counts: `build_corpus --augment` writes every verse twice, which adds no new text.
"""

from __future__ import annotations

from collections.abc import Sequence

from lyrics.models import Corpus

# Measured with bench/corpus_size.py (docs/quality.md).
SMALL_CORPUS_CHARS = 10_000


def distinct_chars(verses: Sequence[str]) -> int:
    """Characters of the distinct verses (an augmented copy adds none)."""
    return sum(len(verse) for verse in set(verses))


def corpus_distinct_chars(corpus: Corpus) -> int:
    """A built corpus's distinct characters, from its record (half the file when augmented)."""
    return int(corpus.char_count) // 2 if corpus.augmented else int(corpus.char_count)


def small_corpus_warning(chars: int) -> str | None:
    """One line saying the text is too small to train anything good, or None when it is not."""
    if chars >= SMALL_CORPUS_CHARS:
        return None
    return (
        f"This corpus is too small to train anything good: {chars:,} characters of distinct "
        f"verse, under {SMALL_CORPUS_CHARS:,} (measured: below that, fine-tuning gets less than "
        "two thirds of the way from the untrained network's held-out loss to what the "
        "33,000-character demo corpus reaches; docs/quality.md); add verses before training"
    )

"""The curation benchmark's synthetic songs look like scraped pages and give the rules work."""

from __future__ import annotations

import random

from bench.curation_scale import SECTIONS, synthetic_song
from lyrics.cleaning.defaults import DEFAULT_RULES
from lyrics.cleaning.engine import compile_rules
from lyrics.cleaning.splitter import clean_song_text, split_sections


def test_a_synthetic_song_is_a_scraped_page_with_clutter_and_variant_spellings() -> None:
    song = synthetic_song(random.Random(3), 3)

    assert song == synthetic_song(random.Random(3), 3)
    assert "Contributors" in song and "You might also like" in song and song.endswith("Embed")
    assert [section.label for section in split_sections(song)][1:] == [
        label.split(":")[0] for label in SECTIONS
    ]
    counts = clean_song_text(song, compile_rules(DEFAULT_RULES)).match_counts
    assert sum(n for name, n in counts.items() if name.startswith("spelling")) > 3
    assert counts["embed trailer"] == counts["contributors header"] == 1

"""A verse model (trained on whole verses: its vocabulary has a newline) writes each line as the
continuation of the verse so far, and a line ends where the model writes a newline."""

from __future__ import annotations

import pytest

from generator.ml.lyrics_writer import write_lyrics
from generator.ml.sampling import Sampler
from generator.ml.verses import is_verse_vocabulary


@pytest.mark.slow  # trains the memorising model (about 8 s)
def test_a_verse_model_continues_the_verse_and_ends_its_lines_at_a_newline(
    memorised_sampler: Sampler,
) -> None:
    # The tiny corpus's texts are whole verses: the model it memorised is a verse model.
    assert is_verse_vocabulary(memorised_sampler.vocabulary)

    result = write_lyrics(
        sampler=memorised_sampler,
        prefix="Cold light on the corner\n",
        lines=3,
        temperature=0.2,
        candidates=2,
        seed=5,
        aim_endings=False,
    )

    # It read the verse so far: the lines that follow this one in the verse it memorised (a
    # line model would start each line afresh after `<s>`).
    assert result.lines == (
        "Cold light on the corner",  # the prefix's whole line opens the verse
        "I keep my pockets warmer",
        "Steady hands and a quiet mind",
        "Leave the noisy days behind",
    )
    chosen = [c for choice in result.choices for c in choice.candidates if c.chosen]
    # Lines end at the newline; the verse's last line at `<s>`, the end of the text.
    assert [c.stop_reason for c in chosen] == ["newline", "newline", "end"]
    assert all("\n" not in line for line in result.lines)

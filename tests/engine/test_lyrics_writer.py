"""Better lyrics: best-of-N lines, originality, repetition, shape, rhyme preference, determinism."""

from __future__ import annotations

import pytest

from generator.ml.lyrics_writer import (
    BROKEN_WORD_PENALTY,
    LyricsRequestError,
    broken_words,
    is_plausible_word,
    score_candidate,
    write_lyrics,
)
from generator.ml.originality import CorpusLineIndex, normalise_line
from generator.ml.sampling import Sampler
from tests.engine.conftest import TINY_CORPUS

CORPUS_LINES = {normalise_line(line) for text in TINY_CORPUS for line in text.splitlines()}


def score(text: str, **overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "text": text,
        "seed": 1,
        "temperature": 0.5,
        "round_number": 0,
        "stop_reason": "newline",
        "previous_line": None,
        "verse_so_far": [],
        "corpus_index": None,
        "known_words": frozenset(),
        **overrides,
    }
    return score_candidate(**values)  # type: ignore[arg-type]


@pytest.mark.slow  # trains the memorising model (about 8 s)
def test_a_model_that_memorised_its_corpus_does_not_recite_it(
    memorised_sampler: Sampler, tiny_corpus_index: CorpusLineIndex
) -> None:
    unfiltered = write_lyrics(sampler=memorised_sampler, lines=4, temperature=0.2, seed=3)
    # Without the index the model recites: the test would catch a filter that did nothing.
    assert any(normalise_line(line) in CORPUS_LINES for line in unfiltered.lines)

    result = write_lyrics(
        sampler=memorised_sampler,
        lines=4,
        temperature=0.2,
        seed=3,
        corpus_index=tiny_corpus_index,
        candidates=8,
    )
    assert not any(normalise_line(line) in CORPUS_LINES for line in result.lines)
    rejected = [c for choice in result.choices for c in choice.candidates if c.rejected]
    assert any("in_corpus" in c.rejected for c in rejected)
    # Lines are chosen from the retries, or left out with a note: never a recited one.
    assert len(result.lines) + sum("left out" in note for note in result.notes) == 4


@pytest.mark.slow
def test_the_same_seed_writes_the_same_verse_and_debug_shows_every_candidate(
    memorised_sampler: Sampler,
) -> None:
    first = write_lyrics(sampler=memorised_sampler, prefix="Cold", lines=3, seed=42, candidates=4)
    again = write_lyrics(sampler=memorised_sampler, prefix="Cold", lines=3, seed=42, candidates=4)
    assert first.lines == again.lines
    assert first.lines[0].startswith("Cold")
    payload = first.as_dict(debug=True)
    assert payload["lyrics"] == "\n".join(first.lines)
    for choice in payload["choices"]:
        assert len(choice["candidates"]) >= 4
        chosen = [c for c in choice["candidates"] if c["chosen"]]
        assert len(chosen) == (1 if choice["text"] is not None else 0)
        if chosen:
            best = max(c["total"] for c in choice["candidates"] if c["total"] is not None)
            assert chosen[0]["total"] == best
    assert "choices" not in first.as_dict(debug=False)


@pytest.mark.slow
def test_no_line_repeats_an_earlier_line_of_the_verse(memorised_sampler: Sampler) -> None:
    result = write_lyrics(sampler=memorised_sampler, lines=8, temperature=0.0, seed=1)
    normalised = [normalise_line(line) for line in result.lines]
    assert len(normalised) == len(set(normalised))


def test_lines_from_the_corpus_or_the_verse_and_empty_lines_are_rejected() -> None:
    index = CorpusLineIndex.from_texts(["Cold light on the corner"])
    assert score("cold light on the CORNER!", corpus_index=index).rejected == ("in_corpus",)
    assert score("we ride", verse_so_far=["We ride."]).rejected == ("repeats_verse",)
    assert score("...").rejected == ("empty",)
    assert score("...").total is None


def test_shape_penalises_broken_words_short_and_truncated_lines() -> None:
    clean = score("we keep the engine running all night")
    broken = score("we keep the qxzkvtp running all night")
    assert clean.shape == 1.0
    assert broken.broken_words == ("qxzkvtp",)
    assert broken.shape == pytest.approx(1.0 - BROKEN_WORD_PENALTY)
    assert score("yeah").shape < clean.shape
    assert score("we keep the engine running all night", stop_reason="max_chars").truncated
    assert score("we keep it", stop_reason="max_chars").shape < score("we keep it").shape


def test_slang_and_names_are_plausible_words_not_broken_ones() -> None:
    assert broken_words("skrrt skrrt, flexin' with my dawg Jaylen", frozenset()) == ()
    assert is_plausible_word("drippin")
    assert not is_plausible_word("aaaaaah")
    assert not is_plausible_word("bcdfgh")
    assert broken_words("the zxqwv is here", frozenset({"zxqwv"})) == ()


def test_a_candidate_that_rhymes_with_the_previous_line_scores_higher() -> None:
    previous = "I been working all the time"
    rhyming = score("now I'm finally in my prime", previous_line=previous)
    plain = score("now I'm finally in my car", previous_line=previous)
    assert rhyming.rhyme == 1.0
    assert rhyming.total is not None and plain.total is not None
    assert rhyming.total > plain.total


def test_out_of_range_requests_are_refused(random_sampler: Sampler) -> None:
    for values in ({"lines": 0}, {"lines": 17}, {"candidates": 0}, {"seed": -5}):
        with pytest.raises(LyricsRequestError):
            write_lyrics(sampler=random_sampler, **values)  # type: ignore[arg-type]


def test_unknown_prefix_characters_are_noted_in_the_result(random_sampler: Sampler) -> None:
    result = write_lyrics(sampler=random_sampler, prefix="Cöld ☃", lines=1, candidates=4, seed=1)
    assert result.prefix.changed
    assert "☃" in result.notes[0]


def test_a_passed_deadline_stops_the_writer_before_the_next_batch(random_sampler: Sampler) -> None:
    import time

    from generator.ml.lyrics_writer import WritingTimeout

    with pytest.raises(WritingTimeout, match="stopped at line 1 of 3: out of time"):
        write_lyrics(sampler=random_sampler, lines=3, seed=1, deadline=time.monotonic() - 1)
    finished = write_lyrics(
        sampler=random_sampler, lines=1, candidates=1, seed=1, deadline=time.monotonic() + 60
    )
    assert finished.choices

"""Better lyrics: best-of-N lines, originality, repetition, shape, rhyme preference, determinism."""

from __future__ import annotations

import pytest

from generator.ml.engine import Engine, NetworkArrays
from generator.ml.lyrics_writer import (
    ChooserWeights,
    LineShape,
    LyricsRequestError,
    broken_words,
    is_plausible_word,
    partner_index,
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
        "partner_line": None,
        "line_shape": LineShape(mean=8.0, sd=2.0),
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


def test_length_is_scored_against_the_corpus_words_per_line() -> None:
    shape = LineShape(mean=8.0, sd=2.0)
    typical = score("we keep the engine running all night long", line_shape=shape)
    assert typical.words == 8 and typical.length == 0.0
    two_off = score("we keep the engine running all night long and strong now", line_shape=shape)
    assert two_off.length == pytest.approx(-0.5 * (3 / 2) ** 2)
    assert score("yeah", line_shape=shape).length < two_off.length
    # The floor: a one-word line and a forty-word line are both as bad as can be, no worse.
    assert score("yeah", line_shape=LineShape(mean=40.0, sd=1.0)).length == -8.0


def test_a_rhyming_stub_no_longer_beats_a_full_line() -> None:
    # The complaint: a two-word stub that rhymes beat a whole line that did not.
    partner = "I been working all the time"
    stub = score("my prime", partner_line=partner)
    full = score("we keep the engine running down the road", partner_line=partner)
    assert stub.rhyme == 1.0 and full.rhyme == 0.0
    assert full.total is not None and stub.total is not None
    assert full.total > stub.total


def test_broken_words_and_truncation_cost_what_their_weights_say() -> None:
    weights = ChooserWeights(broken=0.7, truncated=0.3)
    clean = score("we keep the engine running all night long", weights=weights)
    broken = score("we keep the qxzkvtp running all night long", weights=weights)
    cut = score(
        "we keep the engine running all night long", weights=weights, stop_reason="max_chars"
    )
    assert broken.broken_words == ("qxzkvtp",)
    assert clean.total is not None and broken.total is not None and cut.total is not None
    assert clean.total - broken.total == pytest.approx(0.7)
    assert cut.truncated and clean.total - cut.total == pytest.approx(0.3)


def test_fluency_is_the_mean_log_probability_the_model_gave_the_line() -> None:
    likely = score("we keep the engine running all night long", log_probs=(-0.5, -0.5, -1.1))
    unlikely = score("we keep the engine running all night long", log_probs=(-2.0, -3.0))
    assert likely.fluency == pytest.approx(-0.7)
    assert unlikely.fluency == pytest.approx(-2.5)
    assert likely.total is not None and unlikely.total is not None
    assert likely.total > unlikely.total
    # A sampler that measures nothing (the Keras one) leaves fluency out of the total.
    assert score("we keep the engine running all night long").fluency == 0.0


def test_word_pairs_already_in_the_verse_count_against_a_line() -> None:
    verse = ["we keep the engine running all night long"]
    fresh = score("the river carries every word I never said", verse_so_far=verse)
    echo = score("we keep the engine running till the dawn", verse_so_far=verse)
    assert fresh.repetition == 0.0
    assert echo.repetition == pytest.approx(4 / 7, abs=1e-4)
    assert fresh.total is not None and echo.total is not None
    assert fresh.total > echo.total


def test_line_shape_is_measured_from_lines_and_survives_storage() -> None:
    shape = LineShape.of_lines(["one two three four", "one two", "", "one two three"])
    assert shape == LineShape(mean=3.0, sd=1.0)
    assert LineShape.from_dict(shape.as_dict()) == shape
    for stored in (None, {}, {"mean": "9"}, {"mean": 9, "sd": 0}, {"mean": True, "sd": 2}):
        assert LineShape.from_dict(stored) is None
    assert LineShape.of_lines(["a single line"]) is None
    # Equal lines give a standard deviation of at least one word, never zero.
    assert LineShape.of_lines(["a b c", "d e f"]) == LineShape(mean=3.0, sd=1.0)


def test_rhyme_schemes_pair_the_lines_they_name() -> None:
    assert [partner_index("AABB", i) for i in range(6)] == [None, 0, None, 2, None, 4]
    assert [partner_index("ABAB", i) for i in range(8)] == [None, None, 0, 1, None, None, 4, 5]
    assert [partner_index("free", i) for i in range(4)] == [None, None, None, None]


def test_slang_and_names_are_plausible_words_not_broken_ones() -> None:
    assert broken_words("skrrt skrrt, flexin' with my dawg Jaylen", frozenset()) == ()
    assert is_plausible_word("drippin")
    assert not is_plausible_word("aaaaaah")
    assert not is_plausible_word("bcdfgh")
    assert broken_words("the zxqwv is here", frozenset({"zxqwv"})) == ()


def test_a_candidate_that_rhymes_with_its_partner_line_scores_higher() -> None:
    partner = "I been working all the time"
    rhyming = score("now I'm finally in my prime", partner_line=partner)
    plain = score("now I'm finally in my car", partner_line=partner)
    assert rhyming.rhyme == 1.0
    assert rhyming.total is not None and plain.total is not None
    assert rhyming.total > plain.total


def test_out_of_range_requests_are_refused(random_sampler: Sampler) -> None:
    for values in ({"lines": 0}, {"lines": 17}, {"candidates": 0}, {"seed": -5}):
        with pytest.raises(LyricsRequestError):
            write_lyrics(sampler=random_sampler, **values)  # type: ignore[arg-type]
    with pytest.raises(LyricsRequestError, match="rhyme_scheme must be one of AABB, ABAB, free"):
        write_lyrics(sampler=random_sampler, rhyme_scheme="ABBA")


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


@pytest.fixture(scope="module")
def memorised_engine(memorised_sampler: Sampler) -> Engine:
    layers = {layer.name: layer.get_weights() for layer in memorised_sampler.model.layers}
    return Engine(
        network=NetworkArrays.from_layers(layers, memorised_sampler.config),
        vocabulary=memorised_sampler.vocabulary,
        config=memorised_sampler.config,
    )


@pytest.mark.slow
def test_lines_with_a_partner_get_aimed_endings_that_compete_with_the_rest(
    memorised_engine: Engine,
) -> None:
    result = write_lyrics(
        sampler=memorised_engine, lines=4, candidates=3, seed=7, rhyme_scheme="AABB"
    )
    aimed_by_line = [
        sum(candidate.aimed for candidate in choice.candidates) for choice in result.choices
    ]
    # AABB: lines 2 and 4 rhyme with the line before, so only they draw endings again.
    assert aimed_by_line[0] == 0 and aimed_by_line[2] == 0
    assert aimed_by_line[1] > 0 and aimed_by_line[3] > 0
    for choice in result.choices:
        for candidate in choice.candidates:
            assert candidate.fluency < 0.0  # the engine measures every candidate's log-prob
    again = write_lyrics(
        sampler=memorised_engine, lines=4, candidates=3, seed=7, rhyme_scheme="AABB"
    )
    assert again.lines == result.lines
    free = write_lyrics(
        sampler=memorised_engine, lines=4, candidates=3, seed=7, rhyme_scheme="free"
    )
    assert not any(c.aimed for choice in free.choices for c in choice.candidates)
    plain = write_lyrics(sampler=memorised_engine, lines=4, candidates=3, seed=7, aim_endings=False)
    assert not any(c.aimed for choice in plain.choices for c in choice.candidates)

"""The compiled sampler: textgenrnn's semantics, seeds, batching, stops, prefixes, compilation."""

from __future__ import annotations

import pytest

from generator.ml.sampling import (
    Sampler,
    SamplingControls,
    SamplingError,
    StreamRequest,
    prepare_prefix,
)
from generator.ml.vocab import PADDING_ID
from tests.engine.conftest import greedy_reference


def controls(**values: object) -> SamplingControls:
    return SamplingControls.of(**{"temperature": 1.0, "max_chars": 40, **values})  # type: ignore[arg-type]


def test_the_same_seed_gives_the_same_text(random_sampler: Sampler) -> None:
    # Batches of 1 and 4 streams, at most 64 tokens: the buckets every test here shares.
    first = random_sampler.generate(prefix="Cold", seeds=[5, 6, 7, 8], controls=controls())
    again = random_sampler.generate(prefix="Cold", seeds=[5, 6, 7, 8], controls=controls())
    other = random_sampler.generate(prefix="Cold", seeds=[9], controls=controls())
    assert first.texts == again.texts
    assert len(set(first.texts)) == 4
    assert other.texts[0] not in first.texts


def test_a_batch_of_streams_equals_each_stream_run_alone(random_sampler: Sampler) -> None:
    vocabulary = random_sampler.vocabulary
    requests = [
        StreamRequest(
            context_ids=random_sampler.context_for(prepare_prefix(prefix, vocabulary)),
            seed=seed,
            controls=controls(temperature=temperature, max_chars=max_chars),
        )
        for prefix, seed, temperature, max_chars in [
            ("Cold light", 1, 1.0, 40),
            ("Paper", 2, 0.5, 10),
            ("", 3, 1.5, 60),
        ]
    ]
    batched = random_sampler.generate_streams(requests)
    alone = [random_sampler.generate_streams([request])[0] for request in requests]
    assert batched == alone


def test_top_k_one_is_greedy_argmax_of_textgenrnn_loop(random_sampler: Sampler) -> None:
    prepared = prepare_prefix("Steady hands", random_sampler.vocabulary)
    context = list(random_sampler.context_for(prepared))
    result = random_sampler.generate(prefix="Steady hands", seeds=[9], controls=controls(top_k=1))
    expected = greedy_reference(random_sampler, context, steps=40)
    stream = result.streams[0]
    assert list(stream.token_ids) == [t for t in expected if t != random_sampler.end_id]
    assert stream.stop_reason == ("end" if random_sampler.end_id in expected else "max_chars")


@pytest.mark.slow  # trains the memorising model (about 8 s) unless another test did
def test_max_chars_and_newline_stops(memorised_sampler: Sampler) -> None:
    short = memorised_sampler.generate(
        prefix="Co", seeds=[1], controls=controls(temperature=0.0, max_chars=5)
    )
    assert short.streams[0].text == "ld li"
    assert short.streams[0].stop_reason == "max_chars"
    line = memorised_sampler.generate(
        prefix="Cold", seeds=[1], controls=controls(temperature=0.0, stop_at="newline")
    )
    assert line.streams[0].text == " light on the corner"
    assert line.streams[0].stop_reason == "newline"


def test_unknown_prefix_characters_are_mapped_or_dropped_and_reported(
    random_sampler: Sampler,
) -> None:
    # The tiny vocabulary has plain letters and spaces only: no quotes, accents or symbols.
    prepared = prepare_prefix("Cöld “light” ☃ on", random_sampler.vocabulary)
    fixes = {fix.token: fix.replacement for fix in prepared.fixes}
    assert fixes["ö"] == "o"
    assert fixes["☃"] is None
    assert "“" in fixes
    assert PADDING_ID not in prepared.token_ids
    assert prepared.text.startswith("Cold ")
    result = random_sampler.generate(prefix="Cöld ☃", seeds=[1], controls=controls())
    assert result.prefix.changed


def test_requests_in_one_bucket_reuse_the_compiled_loop(random_sampler: Sampler) -> None:
    random_sampler.generate(prefix="Cold", seeds=[1, 2, 3], controls=controls(max_chars=30))
    compiled = random_sampler.compilations
    # Another prefix, other seeds and every other control, but the same batch bucket (3
    # streams) and length bucket (up to 64 characters): the compiled loop is reused. (A batch
    # of 4 is another bucket, BATCH_BUCKETS; whether it retraces depends on what the
    # session-wide sampler compiled before, so it is not asserted here.)
    random_sampler.generate(
        prefix="Paper planes above the",
        seeds=[4, 5, 6],
        controls=controls(temperature=[0.2, 0.9], top_k=3, top_p=0.8, max_chars=60),
    )
    assert random_sampler.compilations == compiled
    assert random_sampler.warm_up(streams=(3,), max_chars=64) == 0  # same bucket: nothing new


@pytest.mark.parametrize(
    "values",
    [
        {"temperature": -1.0},
        {"temperature": []},
        {"top_k": 0},
        {"top_p": 1.5},
        {"max_chars": 0},
        {"max_chars": 100_000},
        {"stop_at": "never"},
    ],
)
def test_out_of_range_controls_are_refused_in_one_line(values: dict[str, object]) -> None:
    with pytest.raises(SamplingError) as error:
        controls(**values)
    assert "\n" not in str(error.value)


def test_bad_seeds_are_refused(random_sampler: Sampler) -> None:
    with pytest.raises(SamplingError, match="seed"):
        random_sampler.generate(seeds=[-1], controls=controls())

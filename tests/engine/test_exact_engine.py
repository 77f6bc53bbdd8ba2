"""The exact engine is exact: the window re-run's probabilities and tokens, one step per token.

Every test that steps runs on both backends (`backend`): NumPy and the XLA-compiled step.

Probabilities are compared with the Keras model run on each window afresh (our Keras network
matches textgenrnn itself: tests/ml/test_fidelity.py), on contexts of real text: pretrained
weights, and models trained here at character and word level; contexts shorter than the window
(left padding) and longer ones; and every step of a stream stepping through a text (where
windows restart). Tokens are compared with a fixture the Keras window re-run drew for fixed seeds
(tests/engine/fixtures/make_window_rerun_tokens.py regenerates it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import keras
import numpy as np
import pytest

from generator.ml.config import ModelConfig
from generator.ml.dataset import make_windows
from generator.ml.engine import (
    ENGINE_BACKENDS,
    Engine,
    EngineBackend,
    EngineError,
    NetworkArrays,
    draw_tokens,
)
from generator.ml.engine_xla import BUCKETS, EXACT_BUCKETS_UP_TO, bucket_for
from generator.ml.network import build_model
from generator.ml.sampling import Sampler, next_tokens
from generator.ml.streams import SamplingControls, StreamRequest, prepare_prefix
from generator.ml.vocab import Vocabulary
from generator.ml.weight_files import TextgenrnnFiles, read_layer_weights
from generator.ml.weights import LoadedModel, load_pretrained, load_textgenrnn, save_textgenrnn
from tests.ml.conftest import FIXTURES, SHAKESPEARE

TOLERANCE = 1e-5
TOKEN_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "window_rerun_tokens.json"


def shakespeare() -> str:
    return SHAKESPEARE.read_text(encoding="utf-8")


def known_ids(vocabulary: Vocabulary, text: str) -> list[int]:
    """The text's ids, skipping tokens the vocabulary lacks (the pretrained has no newline)."""
    return [vocabulary.token_to_id[t] for t in vocabulary.tokenize(text) if t in vocabulary]


def windows_of(contexts: list[list[int]], length: int) -> np.ndarray:
    """textgenrnn's window for each context: its last `length` ids, left-padded with 0."""
    out = np.zeros((len(contexts), length), dtype=np.int32)
    for row, context in enumerate(contexts):
        tail = context[-length:]
        if tail:
            out[row, length - len(tail) :] = tail
    return out


def rerun(loaded: LoadedModel, contexts: list[list[int]]) -> np.ndarray:
    return loaded.model.predict(windows_of(contexts, loaded.config.max_length), verbose=0)


def stepped_probabilities(engine: Engine, ids: list[int], start: int) -> np.ndarray:
    """The engine's distribution after ids[:start], ids[:start+1], ..., stepping one token."""
    states = engine.stepper.start([ids[:start]])
    rows = []
    for token in ids[start:]:
        rows.append(engine.stepper.probabilities(states)[0])
        engine.stepper.advance(states, np.array([token]))
    return np.array(rows)


def real_contexts(ids: list[int], window: int) -> list[list[int]]:
    """Left-padded starts (every length below the window) and full windows across the text."""
    short = [ids[:length] for length in range(0, window + 2)]
    spread = [ids[: end + 1] for end in range(window, len(ids), max(1, len(ids) // 60))]
    return short + spread


@pytest.fixture(scope="module")
def pretrained() -> LoadedModel:
    return load_pretrained()


@pytest.fixture(scope="module", params=ENGINE_BACKENDS)
def backend(request: pytest.FixtureRequest) -> EngineBackend:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def pretrained_engine(backend: EngineBackend) -> Engine:
    return Engine.pretrained(backend=backend)


def train_and_save(
    directory: Path, config: ModelConfig, texts: list[str]
) -> tuple[TextgenrnnFiles, LoadedModel]:
    """Train a small model for seconds on real text, save textgenrnn's trio, load it in Keras."""
    keras.utils.set_random_seed(7)
    vocabulary = Vocabulary.build(texts, word_level=config.word_level)
    model = build_model(config, vocabulary.num_classes)
    windows = make_windows(texts, vocabulary=vocabulary, config=config)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(windows.inputs, windows.targets, batch_size=128, epochs=3, verbose=0)
    files = save_textgenrnn(model, vocabulary=vocabulary, config=config, directory=directory)
    return files, load_textgenrnn(files)


@pytest.fixture(scope="module")
def trained_char_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[TextgenrnnFiles, LoadedModel]:
    config = ModelConfig(rnn_layers=2, rnn_size=32, max_length=20, dim_embeddings=16, name="c")
    texts = [part for part in shakespeare().split("\n\n") if part.strip()][:60]
    return train_and_save(tmp_path_factory.mktemp("char"), config, texts)


@pytest.fixture(scope="module")
def trained_word_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[TextgenrnnFiles, LoadedModel]:
    config = ModelConfig(
        rnn_layers=3, rnn_size=24, max_length=12, dim_embeddings=16, word_level=True, name="w"
    )
    texts = [part for part in shakespeare().split("\n\n") if part.strip()]
    return train_and_save(tmp_path_factory.mktemp("word"), config, texts)


@pytest.fixture
def trained_char(
    trained_char_files: tuple[TextgenrnnFiles, LoadedModel], backend: EngineBackend
) -> tuple[Engine, LoadedModel]:
    files, loaded = trained_char_files
    return Engine.from_files(files, backend=backend), loaded


@pytest.fixture
def trained_word(
    trained_word_files: tuple[TextgenrnnFiles, LoadedModel], backend: EngineBackend
) -> tuple[Engine, LoadedModel]:
    files, loaded = trained_word_files
    return Engine.from_files(files, backend=backend), loaded


# -- probabilities ------------------------------------------------------------------------------


def test_pretrained_probabilities_match_the_window_rerun_on_real_text(
    pretrained: LoadedModel, pretrained_engine: Engine
) -> None:
    ids = known_ids(pretrained.vocabulary, shakespeare()[:3000])
    contexts = real_contexts([pretrained.vocabulary.end_id, *ids], 40)
    ours = pretrained_engine.next_probabilities(contexts)
    assert np.abs(ours - rerun(pretrained, contexts)).max() < TOLERANCE


def test_a_stream_stepping_through_real_text_keeps_matching_the_rerun(
    pretrained: LoadedModel, pretrained_engine: Engine
) -> None:
    # 400 steps from a one-token start: every window restarts ten times over.
    ids = [
        pretrained.vocabulary.end_id,
        *known_ids(pretrained.vocabulary, shakespeare()[4000:4400]),
    ]
    ours = stepped_probabilities(pretrained_engine, ids, start=1)
    reference = rerun(pretrained, [ids[:end] for end in range(1, len(ids))])
    assert ours.shape == reference.shape
    assert np.abs(ours - reference).max() < TOLERANCE


@pytest.mark.parametrize("fixture_name", ["trained_char", "trained_word"])
def test_trained_models_match_the_rerun_at_char_and_word_level(
    fixture_name: str, backend: EngineBackend, request: pytest.FixtureRequest
) -> None:
    engine, loaded = request.getfixturevalue(fixture_name)
    vocabulary = loaded.vocabulary
    ids = [vocabulary.end_id, *known_ids(vocabulary, shakespeare()[6000:9000])]
    window = loaded.config.max_length
    contexts = real_contexts(ids, window)
    assert np.abs(engine.next_probabilities(contexts) - rerun(loaded, contexts)).max() < TOLERANCE
    stepped = stepped_probabilities(engine, ids[: 6 * window], start=3)
    reference = rerun(loaded, [ids[:end] for end in range(3, 6 * window)])
    assert np.abs(stepped - reference).max() < TOLERANCE


def test_streams_joining_a_batch_at_different_phases_keep_their_own_windows(
    pretrained: LoadedModel, pretrained_engine: Engine
) -> None:
    vocabulary = pretrained.vocabulary
    text = known_ids(vocabulary, shakespeare()[200:400])
    stepper = pretrained_engine.stepper
    early = stepper.start([text[:5]])
    for token in text[5:18]:
        stepper.advance(early, np.array([token]))
    late = stepper.start([text[100:103]])
    joined = stepper.concat([early, late])
    stepper.advance(joined, np.array([text[18], text[103]]))
    ours = stepper.probabilities(joined)
    reference = rerun(pretrained, [text[:19], text[100:104]])
    assert np.abs(ours - reference).max() < TOLERANCE


def test_taking_streams_reorders_and_copies_them_and_leaves_the_original_alone(
    pretrained: LoadedModel, pretrained_engine: Engine
) -> None:
    text = known_ids(pretrained.vocabulary, shakespeare()[400:600])
    stepper = pretrained_engine.stepper
    states = stepper.start([text[:7], text[50:61], text[120:124]])
    before = stepper.probabilities(states)
    taken = states.take([2, 0, 2])  # reordered, one stream twice
    np.testing.assert_array_equal(stepper.probabilities(taken), before[[2, 0, 2]])
    # Stepping the original does not move the copy, and the copy steps on its own.
    stepper.advance(states, np.array([text[7], text[61], text[124]]))
    stepper.advance(taken, np.array([text[124], text[7], text[124]]))
    after = stepper.probabilities(taken)
    np.testing.assert_allclose(after[0], after[2], atol=1e-7)
    reference = rerun(pretrained, [text[120:125], text[:8]])
    assert np.abs(after[:2] - reference).max() < TOLERANCE


def test_a_batch_past_the_exact_buckets_runs_padded_with_the_same_numbers(
    pretrained: LoadedModel, pretrained_engine: Engine
) -> None:
    # 9 streams: XLA pads them to 10 rows (engine_xla.bucket_for); NumPy runs 9.
    text = known_ids(pretrained.vocabulary, shakespeare()[600:800])
    stepper = pretrained_engine.stepper
    states = stepper.start([text[:9], text[40:52], text[90:95]])
    wide = states.take([0, 1, 2] * 3)
    stepper.advance(states, np.array([text[9], text[52], text[95]]))
    stepper.advance(wide, np.array([text[9], text[52], text[95]] * 3))
    np.testing.assert_allclose(
        stepper.probabilities(wide), np.tile(stepper.probabilities(states), (3, 1)), atol=1e-6
    )
    reference = rerun(pretrained, [text[:10], text[40:53], text[90:96]])
    assert np.abs(stepper.probabilities(wide)[6:] - reference).max() < TOLERANCE


def test_a_next_line_continued_from_the_chosen_stream_matches_the_rerun(
    pretrained: LoadedModel, pretrained_engine: Engine
) -> None:
    from generator.ml.engine import StreamBatch

    vocabulary = pretrained.vocabulary
    context = (vocabulary.end_id, *known_ids(vocabulary, "We are accounted poor citizens"))
    controls = SamplingControls.of(temperature=0.7, max_chars=300)
    finished = pretrained_engine.generate_streams(
        [StreamRequest(context_ids=context, seed=seed, controls=controls) for seed in range(3)]
    )
    ended = [output for output in finished if output.stop_reason == "end"]
    assert ended
    next_contexts = [(*context, *output.token_ids, vocabulary.end_id) for output in ended]
    before = pretrained_engine.continued_starts
    batch = StreamBatch(pretrained_engine)
    batch.add([(i, StreamRequest(context_ids=c, seed=0, controls=controls))
               for i, c in enumerate(next_contexts)])  # fmt: skip
    assert pretrained_engine.continued_starts == before + len(ended)
    keys = cast("list[int]", batch.keys)  # lane by lane (StreamBatch deals them)
    assert sorted(keys) == list(range(len(ended)))
    ours = batch.probabilities()
    reference = rerun(pretrained, [list(next_contexts[key]) for key in keys])
    assert np.abs(ours - reference).max() < TOLERANCE


# -- tokens -------------------------------------------------------------------------------------


def fixture_requests(engine: Engine, cases: list[dict[str, Any]]) -> list[StreamRequest]:
    """The token fixture's cases as stream requests: prefix, seed and controls."""
    return [
        StreamRequest(
            context_ids=engine.context_for(
                prepare_prefix(case["prefix"], engine.vocabulary).token_ids
            ),
            seed=case["seed"],
            controls=SamplingControls.of(**case["controls"]),
        )
        for case in cases
    ]


def test_it_draws_the_tokens_the_window_rerun_drew_for_the_same_seeds(
    pretrained_engine: Engine,
) -> None:
    cases = json.loads(TOKEN_FIXTURE.read_text(encoding="utf-8"))["cases"]
    requests = fixture_requests(pretrained_engine, cases)
    together = pretrained_engine.generate_streams(requests)
    alone = [pretrained_engine.generate_streams([r])[0] for r in requests[:5]]
    assert [list(o.token_ids) for o in together] == [case["token_ids"] for case in cases]
    assert [o.stop_reason for o in together] == [case["stop_reason"] for case in cases]
    assert alone == together[:5]
    assert sum(len(case["token_ids"]) for case in cases) > 1000


def test_lanes_change_no_token_and_share_the_streams_evenly(
    pretrained_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream batch deals its streams into lanes that step one after another; every stream
    draws from its own uniforms, so one lane or three draw the same tokens."""
    from generator.ml.engine import StreamBatch

    cases = json.loads(TOKEN_FIXTURE.read_text(encoding="utf-8"))["cases"][:7]
    requests = fixture_requests(pretrained_engine, cases)
    outputs = {}
    for lanes in (1, 3):
        monkeypatch.setattr(pretrained_engine, "lanes", lanes)
        batch = StreamBatch(pretrained_engine)
        batch.add(list(enumerate(requests)))
        dealt = sorted(len(lane.streams) for lane in batch.lanes)
        assert dealt == ([7] if lanes == 1 else [2, 2, 3])
        outputs[lanes] = pretrained_engine.generate_streams(requests)
    assert outputs[1] == outputs[3]
    assert [list(o.token_ids) for o in outputs[3]] == [case["token_ids"] for case in cases]


def test_the_compiled_engine_steps_two_lanes_and_numpy_one(backend: EngineBackend) -> None:
    assert Engine.pretrained(backend=backend).lanes == {"numpy": 1, "xla": 2}[backend]
    with pytest.raises(EngineError, match="at least one lane"):
        Engine.pretrained(backend=backend, lanes=0)


def test_a_word_level_model_draws_the_keras_samplers_tokens(
    trained_word: tuple[Engine, LoadedModel],
) -> None:
    engine, loaded = trained_word
    sampler = Sampler(model=loaded.model, vocabulary=loaded.vocabulary, config=loaded.config)
    context = sampler.context_for(prepare_prefix("first citizen :", loaded.vocabulary))
    requests = [
        StreamRequest(
            context_ids=context,
            seed=seed,
            controls=SamplingControls.of(temperature=[0.7, 1.1], top_p=0.95, max_chars=30),
        )
        for seed in range(6)
    ]
    assert engine.generate_streams(requests) == sampler.generate_streams(requests)


def test_draw_tokens_is_next_tokens_in_numpy() -> None:
    rng = np.random.default_rng(0)
    rows = 400
    logits = rng.standard_normal((rows, 60)).astype(np.float32) * 3
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    uniforms = rng.random(rows).astype(np.float32)
    temperature = rng.choice([0.0, 0.3, 1.0, 2.0], rows).astype(np.float32)
    top_k = rng.choice([0, 1, 3, 10], rows)
    top_p = rng.choice([1.0, 0.5, 0.9], rows).astype(np.float32)
    ours = draw_tokens(
        probabilities.astype(np.float32),
        uniforms,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
    )
    theirs = next_tokens(probabilities, uniforms, temperature=temperature, top_k=top_k, top_p=top_p)
    assert np.array_equal(ours, np.asarray(theirs))
    assert not np.any(ours == 0)


def test_it_refuses_a_bidirectional_model_in_one_line() -> None:
    config = ModelConfig(rnn_layers=1, rnn_size=8, rnn_bidirectional=True, dim_embeddings=4)
    layers = read_layer_weights(FIXTURES / "textgenrnn_bidir_weights.hdf5")
    with pytest.raises(EngineError, match="bidirectional"):
        NetworkArrays.from_layers(layers, config)


def test_each_drawn_token_comes_with_the_models_own_log_probability(
    pretrained_engine: Engine,
) -> None:
    from generator.ml.streams import LOG_EPSILON, SamplingControls, StreamRequest

    start = (pretrained_engine.end_id, *pretrained_engine.vocabulary.encode("The city"))
    controls = SamplingControls(temperature=(0.7,), max_chars=60, stop_at="newline")
    (output,) = pretrained_engine.generate_streams(
        [StreamRequest(context_ids=start, seed=5, controls=controls)]
    )
    stopped = output.stop_reason != "max_chars"
    assert len(output.log_probs) == len(output.token_ids) + (1 if stopped else 0)
    drawn = [*output.token_ids, pretrained_engine.end_id] if stopped else list(output.token_ids)
    # Untempered: the probability the model itself gave each drawn token, after its context.
    contexts = [(*start, *output.token_ids[:step]) for step in range(len(drawn))]
    expected = np.log(
        pretrained_engine.next_probabilities(contexts)[np.arange(len(drawn)), drawn] + LOG_EPSILON
    )
    assert np.allclose(output.log_probs, expected, atol=1e-4)


def test_a_worker_compiles_at_warm_up_the_steps_of_a_lanes_share_of_its_streams(
    trained_char_files: tuple[TextgenrnnFiles, LoadedModel],
) -> None:
    """Two lanes share 12 streams (two requests' 6 candidates): steps for every bucket up to 6,
    starts for 1 and 2; one lane steps all 12: every bucket up to 12."""
    files, _ = trained_char_files
    for lanes, largest in ((2, 6), (1, 12)):
        engine = Engine.from_files(files, backend="xla", lanes=lanes)
        engine.warm_up(streams=(1, 12), max_chars=8)
        steps = [size for size in BUCKETS if size <= largest]
        assert engine.stepper.compiled == {  # type: ignore[attr-defined]
            ("start", 1),
            ("start", 2),
            *(("step", size) for size in steps),
        }


def test_xla_buckets_are_exact_up_to_a_requests_candidates_then_coarser() -> None:
    assert [bucket_for(n) for n in range(1, EXACT_BUCKETS_UP_TO + 1)] == list(
        range(1, EXACT_BUCKETS_UP_TO + 1)
    )
    assert [bucket_for(n) for n in (9, 11, 12, 13, 17, 33, 64, 65)] == [
        10,
        12,
        12,
        16,
        24,
        48,
        64,
        128,
    ]
    assert all(bucket_for(n) in BUCKETS for n in range(1, 65))

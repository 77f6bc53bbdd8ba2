"""The all-positions objective: every position of a window is a target, through a causal model
that is textgenrnn's network at the last position and saves textgenrnn's weights file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from generator.ml import fit as fit_module
from generator.ml.config import ModelConfig
from generator.ml.dataset import (
    DatasetError,
    build_dataset,
    make_sequence_windows,
    make_windows,
    sequence_window,
)
from generator.ml.fit import (
    TrainingConfig,
    TrainingError,
    fit,
    initial_state,
    new_model,
    serving_model,
    start_training,
    train_one_epoch,
)
from generator.ml.network import build_model, copy_weights, is_all_positions, predicted_positions
from generator.ml.sampling import Sampler, SamplingControls
from generator.ml.vocab import END_TOKEN, Vocabulary
from generator.ml.weights import LoadedModel, load_textgenrnn, save_textgenrnn
from tests.ml.conftest import TINY

VOCAB = Vocabulary(token_to_id={"a": 1, "b": 2, "c": 3, " ": 4, END_TOKEN: 5})
END = VOCAB.end_id


def test_at_the_last_position_the_causal_model_is_textgenrnns_network(
    pretrained: LoadedModel, shakespeare_texts: list[str]
) -> None:
    causal = build_model(pretrained.config, pretrained.vocabulary.num_classes, all_positions=True)
    copy_weights(pretrained.model, causal)
    lines = [line for text in shakespeare_texts[:40] for line in text.split("\n")]
    windows = make_windows(lines, vocabulary=pretrained.vocabulary, config=pretrained.config)
    # Every 7th window: short lines (left-padded) and full 40-character contexts alike.
    inputs = windows.inputs[::7][:384]
    assert (inputs[:, 0] == 0).any() and (inputs[:, 0] != 0).any()

    every_position = causal.predict(inputs, verbose=0)
    textgenrnn = pretrained.model.predict(inputs, verbose=0)

    assert every_position.shape == (len(inputs), 40, pretrained.vocabulary.num_classes)
    assert np.abs(every_position[:, -1] - textgenrnn).max() < 1e-5


def test_an_earlier_position_sees_only_the_tokens_up_to_it(pretrained: LoadedModel) -> None:
    causal = build_model(pretrained.config, pretrained.vocabulary.num_classes, all_positions=True)
    copy_weights(pretrained.model, causal)
    rng = np.random.default_rng(3)
    first = rng.integers(1, pretrained.vocabulary.num_classes, (1, 40)).astype(np.int32)
    second = first.copy()
    second[0, 25:] = rng.integers(1, pretrained.vocabulary.num_classes, 15)

    a, b = causal.predict(first, verbose=0), causal.predict(second, verbose=0)

    np.testing.assert_allclose(a[0, :25], b[0, :25], atol=1e-6)
    assert np.abs(a[0, 25:] - b[0, 25:]).max() > 1e-3


def test_a_short_text_is_one_left_padded_window_teaching_each_next_token() -> None:
    config = ModelConfig(max_length=8)
    windows = make_sequence_windows(["ab c"], vocabulary=VOCAB, config=config, stride=8)

    # Half a stride (4) longer than textgenrnn's windows of 8.
    assert sequence_window(config, 8) == 12
    assert windows.inputs.tolist() == [[0, 0, 0, 0, 0, 0, 0, END, 1, 2, 4, 3]]
    assert windows.targets.tolist() == [[0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 3, END]]
    assert windows.target_count == 5
    # Its first 8 positions are textgenrnn's window for the target at position 8 ("a").
    textgenrnn = make_windows(["ab c"], vocabulary=VOCAB, config=config)
    assert windows.inputs[0, :8].tolist() == textgenrnn.inputs[0].tolist()
    assert windows.targets[0, 7] == textgenrnn.targets[0] == 1


@pytest.mark.parametrize("stride", [1, 2, 3, 4])
def test_a_long_text_has_a_window_every_stride_tokens_teaching_its_new_targets(
    stride: int,
) -> None:
    text = "abc abc ab ca bca"
    windows = make_sequence_windows(
        [text, "cab"], vocabulary=VOCAB, config=ModelConfig(max_length=4), stride=stride
    )
    length = 4 + stride // 2
    padded = [0] * length + [END, *(VOCAB.token_to_id[c] for c in text), END]
    last = len(padded) - 1
    # Window i ends at the text's token i * stride, the last one at its end; the positions
    # before its new targets are context only (target 0).
    ends = [*range(length + stride, last, stride), last]
    expected_inputs, expected_targets, previous = [], [], length
    for end in ends:
        expected_inputs.append(padded[end - length : end])
        targets = padded[end - length + 1 : end + 1]
        new = end - previous
        expected_targets.append([0] * (length - new) + targets[length - new :])
        previous = end

    assert windows.inputs.shape[1] == length
    assert windows.inputs[: len(ends)].tolist() == expected_inputs
    assert windows.targets[: len(ends)].tolist() == expected_targets
    # "cab" (<s> c a b <s>) starts after the long text; its last window ends at its end.
    assert windows.inputs[-1].tolist() == [0] * (length - 4) + [END, 3, 1, 2]
    assert windows.targets[-1].tolist()[-1] == END
    assert windows.texts == 2


@pytest.mark.parametrize("stride", [1, 3, 10])
def test_every_target_of_textgenrnns_windows_is_taught_once_in_contexts_centred_on_its_length(
    stride: int, shakespeare_texts: list[str]
) -> None:
    config = ModelConfig(max_length=10)
    vocabulary = Vocabulary.build(shakespeare_texts[:5])
    lines = [line for text in shakespeare_texts[:5] for line in text.split("\n")]
    textgenrnn = make_windows(lines, vocabulary=vocabulary, config=config)
    windows = make_sequence_windows(lines, vocabulary=vocabulary, config=config, stride=stride)

    assert windows.target_count == len(textgenrnn)
    # The taught positions are the last `stride` of windows 10 + stride // 2 long: contexts
    # of 10 - (stride - 1) + stride // 2 to 10 + stride // 2 tokens.
    assert windows.inputs.shape[1] == 10 + stride // 2
    assert not windows.targets[:, :-stride].any()
    # Where position 10 has a target, its context is textgenrnn's window for that target.
    pairs = {(tuple(x), int(y)) for x, y in zip(textgenrnn.inputs, textgenrnn.targets, strict=True)}
    at_ten = [
        (tuple(x[:10]), int(y[9]))
        for x, y in zip(windows.inputs, windows.targets, strict=True)
        if y[9]
    ]
    assert len(at_ten) >= len(windows) // 2
    assert all(pair in pairs for pair in at_ten)


def test_unknown_characters_are_dropped_and_counted() -> None:
    windows = make_sequence_windows(
        ["a?b", "??"], vocabulary=VOCAB, config=ModelConfig(max_length=4), stride=4
    )
    assert windows.inputs.tolist() == [[0, 0, 0, END, 1, 2], [0, 0, 0, 0, 0, END]]
    assert windows.targets.tolist() == [[0, 0, 0, 1, 2, END], [0, 0, 0, 0, 0, END]]
    assert dict(windows.unknown_tokens) == {"?": 3}


def test_it_refuses_a_stride_longer_than_the_window() -> None:
    with pytest.raises(
        DatasetError, match=r"^stride must be between 1 and max_length \(4\), got 5$"
    ):
        make_sequence_windows(["abc"], vocabulary=VOCAB, config=ModelConfig(max_length=4), stride=5)


def test_a_model_trained_on_every_position_saves_textgenrnns_files_and_samples(
    shakespeare_texts: list[str], tmp_path: Path
) -> None:
    texts = shakespeare_texts[:12]
    vocabulary = Vocabulary.build(texts)
    # The trained weights themselves (no average), to compare the two models' files and outputs.
    training = TrainingConfig(
        epochs=1,
        batch_size=16,
        seed=2,
        objective="all-positions",
        stride=TINY.max_length,
        weight_average=None,
    )
    dataset = build_dataset(
        texts, vocabulary=vocabulary, config=TINY, seed=2, sequence_stride=TINY.max_length
    )
    state = start_training(
        new_model(TINY, vocabulary, training=training),
        vocabulary=vocabulary,
        config=TINY,
        training=training,
    )
    fit(state, dataset, checkpoint_dir=tmp_path / "checkpoints")
    assert is_all_positions(state.model)

    trained = save_textgenrnn(
        state.model, vocabulary=vocabulary, config=TINY, directory=tmp_path / "a", name="m"
    )
    plain = build_model(TINY, vocabulary.num_classes)
    copy_weights(state.model, plain)
    reference = save_textgenrnn(
        plain, vocabulary=vocabulary, config=TINY, directory=tmp_path / "b", name="m"
    )
    assert _hdf5_layout(trained.weights) == _hdf5_layout(reference.weights)

    loaded = load_textgenrnn(trained)
    assert not is_all_positions(loaded.model)
    windows = dataset.validation.inputs[:64]
    np.testing.assert_allclose(
        loaded.model.predict(windows, verbose=0),
        serving_model(state).predict(windows, verbose=0),
        atol=1e-5,
    )
    sampler = Sampler(model=loaded.model, vocabulary=loaded.vocabulary, config=loaded.config)
    result = sampler.generate(
        prefix="First", seeds=[1, 2], controls=SamplingControls.of(max_chars=20)
    )
    assert len(result.streams) == 2
    assert all(stream.text for stream in result.streams)


def _hdf5_layout(path: Path) -> list[tuple[str, str, tuple[int, ...]]]:
    with h5py.File(path, "r") as handle:
        return [
            (layer.decode(), name.decode(), handle[layer.decode()][name.decode()].shape)
            for layer in handle.attrs["layer_names"]
            for name in handle[layer.decode()].attrs["weight_names"]
        ]


def test_a_model_predicting_the_last_positions_gives_the_full_models_numbers_there(
    pretrained: LoadedModel, shakespeare_texts: list[str]
) -> None:
    classes = pretrained.vocabulary.num_classes
    shape = replace(pretrained.config, max_length=sequence_window(pretrained.config, 10))
    full = build_model(shape, classes, all_positions=True)
    last_ten = build_model(shape, classes, all_positions=True, last_positions=10)
    copy_weights(pretrained.model, full)
    copy_weights(pretrained.model, last_ten)
    windows = make_sequence_windows(
        shakespeare_texts[:40],
        vocabulary=pretrained.vocabulary,
        config=pretrained.config,
        stride=10,
    )

    predicted = last_ten.predict(windows.inputs[:64], verbose=0)

    assert predicted_positions(last_ten) == 10 and predicted_positions(full) == 45
    assert predicted.shape == (64, 10, classes)
    np.testing.assert_allclose(
        predicted, full.predict(windows.inputs[:64], verbose=0)[:, -10:], atol=1e-6
    )


def test_training_predicts_only_the_positions_a_stride_teaches(
    shakespeare_texts: list[str],
) -> None:
    texts = shakespeare_texts[:4]
    vocabulary = Vocabulary.build(texts)
    training = TrainingConfig(epochs=1, batch_size=8, seed=2, objective="all-positions", stride=3)
    state = start_training(
        new_model(TINY, vocabulary, training=training),
        vocabulary=vocabulary,
        config=TINY,
        training=training,
    )
    assert predicted_positions(state.model) == 3
    # It reads windows half a stride longer than textgenrnn's; what it serves reads textgenrnn's.
    assert state.model.input_shape == (None, TINY.max_length + 1)
    served = serving_model(state)
    assert served.input_shape == (None, TINY.max_length)
    assert not is_all_positions(served)
    for trained, kept in zip(state.model.weights, served.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(trained), np.asarray(kept))
    # Windows of a larger stride have targets the model does not predict: refused, by name.
    wider = make_sequence_windows(texts, vocabulary=vocabulary, config=TINY, stride=TINY.max_length)
    with pytest.raises(TrainingError, match="targets before their last 3 positions"):
        train_one_epoch(state, wider)


def _gradients(
    model: keras.Model, inputs: np.ndarray, targets: np.ndarray
) -> dict[str, np.ndarray]:
    loss_of = keras.losses.SparseCategoricalCrossentropy(ignore_class=0)
    with tf.GradientTape() as tape:
        loss = loss_of(targets, model(inputs, training=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    return {
        variable.path: np.asarray(tf.convert_to_tensor(gradient))  # the embedding's is sparse
        for variable, gradient in zip(model.trainable_variables, gradients, strict=True)
    }


def _truncation_fixture() -> tuple[ModelConfig, int, np.ndarray, np.ndarray]:
    shape = replace(TINY, max_length=sequence_window(TINY, 3))  # 11 tokens at stride 3
    rng = np.random.default_rng(4)
    inputs = rng.integers(1, VOCAB.num_classes, size=(8, shape.max_length)).astype("int32")
    targets = rng.integers(1, VOCAB.num_classes, size=(8, 3)).astype("int32")
    return shape, VOCAB.num_classes, inputs, targets


def test_truncated_backpropagation_cuts_only_the_recurrences_backward_pass() -> None:
    shape, classes, inputs, targets = _truncation_fixture()
    keras.utils.set_random_seed(5)
    full = build_model(shape, classes, all_positions=True, last_positions=3)
    cut = build_model(shape, classes, all_positions=True, last_positions=3, gradient_steps=4)
    copy_weights(full, cut)
    assert [v.path for v in cut.weights] == [v.path for v in full.weights]

    # The forward numbers are the uncut network's...
    np.testing.assert_allclose(cut.predict(inputs, verbose=0), full(inputs), atol=1e-6)
    # ...and so are the gradients of the layers after the LSTMs; the LSTMs' are not, since
    # their backward pass runs through the window's last 4 steps only.
    cut_gradients, full_gradients = (
        _gradients(cut, inputs, targets),
        _gradients(full, inputs, targets),
    )
    for path, gradient in full_gradients.items():
        if path.startswith(("attention/", "output/")):
            np.testing.assert_allclose(cut_gradients[path], gradient, atol=1e-6)
        elif path.startswith("rnn_"):
            assert np.abs(cut_gradients[path] - gradient).max() > 1e-4, path
    # Cut at or before the window's start, nothing is cut.
    whole = build_model(shape, classes, all_positions=True, last_positions=3, gradient_steps=11)
    copy_weights(full, whole)
    for path, gradient in _gradients(whole, inputs, targets).items():
        np.testing.assert_allclose(gradient, full_gradients[path], atol=1e-6)


def test_a_run_backpropagates_through_the_whole_window_unless_asked_to_cut() -> None:
    shape, classes, inputs, targets = _truncation_fixture()
    training = TrainingConfig(epochs=1, batch_size=8, seed=2, objective="all-positions", stride=3)
    state = start_training(
        new_model(TINY, VOCAB, training=training), vocabulary=VOCAB, config=TINY, training=training
    )
    whole = build_model(shape, classes, all_positions=True, last_positions=3)
    copy_weights(state.model, whole)
    cut = build_model(shape, classes, all_positions=True, last_positions=3, gradient_steps=6)
    copy_weights(state.model, cut)

    run_gradients = _gradients(state.model, inputs, targets)
    whole_gradients = _gradients(whole, inputs, targets)
    for path, gradient in whole_gradients.items():
        np.testing.assert_allclose(run_gradients[path], gradient, atol=1e-6)
    cut_gradients = _gradients(cut, inputs, targets)
    assert any(
        not np.allclose(cut_gradients[path], gradient, atol=1e-6)
        for path, gradient in whole_gradients.items()
    )

    # backprop_steps chooses a cut; the whole window's length cuts nothing.
    for steps, cut_at in ((2, 2), (6, 6), (11, None)):
        chosen = replace(training, backprop_steps=steps)
        run = start_training(
            new_model(TINY, VOCAB, training=chosen), vocabulary=VOCAB, config=TINY, training=chosen
        )
        built = build_model(
            shape, classes, all_positions=True, last_positions=3, gradient_steps=cut_at
        )
        copy_weights(run.model, built)
        run_gradients = _gradients(run.model, inputs, targets)
        for path, gradient in _gradients(built, inputs, targets).items():
            np.testing.assert_allclose(run_gradients[path], gradient, atol=1e-6)


def test_a_bidirectional_model_cannot_learn_every_position() -> None:
    bidirectional = replace(TINY, rnn_bidirectional=True)
    training = TrainingConfig(epochs=1, batch_size=8, objective="all-positions")
    model = build_model(bidirectional, VOCAB.num_classes)
    with pytest.raises(TrainingError, match="--rnn-bidirectional needs --objective last"):
        start_training(model, vocabulary=VOCAB, config=bidirectional, training=training)
    # Nor can its backward pass be cut short (it runs from the window's end).
    truncated = TrainingConfig(epochs=1, batch_size=8, objective="last", backprop_steps=5)
    with pytest.raises(TrainingError, match="--backprop-steps needs a unidirectional model"):
        start_training(model, vocabulary=VOCAB, config=bidirectional, training=truncated)


def test_a_run_keeps_a_model_already_shaped_for_it_unless_it_cuts_backpropagation() -> None:
    training = TrainingConfig(epochs=1, batch_size=8, seed=2, objective="all-positions", stride=3)
    model = new_model(TINY, VOCAB, training=training)  # the run's training model already
    assert start_training(model, vocabulary=VOCAB, config=TINY, training=training).model is model

    # A last-position model, or any model for a cut run (the cut is not in its shape), is
    # rebuilt as the run's training model with the same weights.
    last = build_model(TINY, VOCAB.num_classes)
    rebuilt = start_training(last, vocabulary=VOCAB, config=TINY, training=training).model
    assert rebuilt is not last and predicted_positions(rebuilt) == 3
    cutting = replace(training, backprop_steps=4)
    model = new_model(TINY, VOCAB, training=cutting)
    state = start_training(model, vocabulary=VOCAB, config=TINY, training=cutting)
    assert state.model is not model
    for kept, given in zip(state.model.weights, model.weights, strict=True):
        np.testing.assert_array_equal(kept.numpy(), given.numpy())


def test_a_new_network_that_cuts_backpropagation_is_built_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[int | None] = []

    def counting_build(*args: object, **kwargs: object) -> keras.Model:
        built.append(kwargs.get("gradient_steps"))  # type: ignore[arg-type]
        return build_model(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fit_module, "build_model", counting_build)
    cutting = TrainingConfig(
        epochs=1, batch_size=8, seed=2, objective="all-positions", stride=3, backprop_steps=6
    )
    state = initial_state(TINY, cutting, from_pretrained=False, texts=["abc cab", "bac a"])

    assert built == [6]  # the run's training model, cut, and nothing built before or after it
    assert state.vocabulary.num_classes == VOCAB.num_classes
    shape, classes, inputs, targets = _truncation_fixture()
    cut = build_model(shape, classes, all_positions=True, last_positions=3, gradient_steps=6)
    copy_weights(state.model, cut)
    run_gradients = _gradients(state.model, inputs, targets)
    for path, gradient in _gradients(cut, inputs, targets).items():
        np.testing.assert_allclose(run_gradients[path], gradient, atol=1e-6)

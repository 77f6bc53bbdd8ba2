"""The training loop: it learns, it is deterministic, it stops politely and resumes exactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from generator.ml.averaging import weight_averages
from generator.ml.backend import backend_name, unroll_for_training
from generator.ml.config import ModelConfig
from generator.ml.dataset import DatasetSplit, build_dataset
from generator.ml.fit import (
    EpochMetrics,
    EpochReport,
    StopFlag,
    TrainingConfig,
    TrainingError,
    TrainingState,
    fit,
    new_model,
    resume_from_file,
    start_training,
    with_planned_unroll,
)
from generator.ml.network import build_model, copy_weights
from generator.ml.vocab import Vocabulary
from tests.ml.conftest import TINY

LAST = TrainingConfig(
    epochs=3, batch_size=64, dropout=0.1, seed=5, validation_split=0.1, objective="last"
)
# About 230 windows of the same texts (each teaching up to 10 tokens): 14 batches an epoch.
ALL_POSITIONS = TrainingConfig(
    **{**LAST.to_dict(), "objective": "all-positions", "stride": 5, "batch_size": 16}
)


@pytest.fixture(scope="module", params=[LAST, ALL_POSITIONS], ids=["last", "all-positions"])
def training(request: pytest.FixtureRequest) -> TrainingConfig:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def corpus(
    shakespeare_texts: list[str], training: TrainingConfig
) -> tuple[Vocabulary, DatasetSplit]:
    texts = shakespeare_texts[:16]
    vocabulary = Vocabulary.build(texts)
    dataset = build_dataset(
        texts,
        vocabulary=vocabulary,
        config=TINY,
        validation_split=0.1,
        seed=5,
        sequence_stride=training.stride if training.all_positions else None,
    )
    return vocabulary, dataset


def weights_after(
    training: TrainingConfig,
    corpus: tuple[Vocabulary, DatasetSplit],
    directory: Path,
    **fit_kwargs: object,
) -> tuple[list[np.ndarray], object]:
    vocabulary, dataset = corpus
    model = new_model(TINY, vocabulary, training=training)
    state = start_training(model, vocabulary=vocabulary, config=TINY, training=training)
    result = fit(state, dataset, checkpoint_dir=directory, **fit_kwargs)  # type: ignore[arg-type]
    return [keras.ops.convert_to_numpy(v) for v in state.model.variables], result


def test_loss_decreases_on_a_real_text(corpus, training, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reports: list[EpochReport] = []
    _, result = weights_after(training, corpus, tmp_path, on_epoch_end=reports.append)
    assert result.status == "done"  # type: ignore[attr-defined]
    losses = [m.train_loss for m in result.metrics]  # type: ignore[attr-defined]
    assert losses[-1] < losses[0] - 0.2
    validation = [m.validation_loss for m in result.metrics]  # type: ignore[attr-defined]
    assert validation[-1] < validation[0]
    assert all(m.windows_per_second > 0 for m in result.metrics)  # type: ignore[attr-defined]
    assert [r.checkpoint_path.name for r in reports] == [
        "epoch-0001.ckpt",
        "epoch-0002.ckpt",
        "epoch-0003.ckpt",
    ]
    assert all(r.checkpoint_path.is_file() for r in reports)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_weights(corpus, training, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_epoch = TrainingConfig(**{**training.to_dict(), "epochs": 1})
    first, _ = weights_after(one_epoch, corpus, tmp_path / "a")
    second, _ = weights_after(one_epoch, corpus, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.slow
def test_a_run_stopped_mid_epoch_and_resumed_ends_with_the_same_weights(
    corpus, training, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    uninterrupted, _ = weights_after(training, corpus, tmp_path / "straight")

    stop = StopFlag()
    batches_seen = []

    def stop_in_epoch_two(done: int, total: int) -> None:
        batches_seen.append(done)
        if len(batches_seen) == total + 5:  # 5 batches into the second epoch
            stop.request()

    _, result = weights_after(
        training, corpus, tmp_path / "stopped", stop=stop, on_batch=stop_in_epoch_two
    )
    assert result.status == "interrupted"  # type: ignore[attr-defined]
    assert result.checkpoint_path.name == "epoch-0001-batch-000005.ckpt"  # type: ignore[attr-defined]

    state = resume_from_file(result.checkpoint_path)  # type: ignore[attr-defined]
    assert (state.epoch, state.batches_done) == (1, 5)
    resumed = fit(state, corpus[1], checkpoint_dir=tmp_path / "stopped")
    assert resumed.status == "done"
    assert [m.epoch for m in resumed.metrics] == [1, 2, 3]
    for a, b in zip(
        uninterrupted, [keras.ops.convert_to_numpy(v) for v in state.model.variables], strict=True
    ):
        assert np.array_equal(a, b)


def test_it_refuses_a_model_whose_classes_do_not_fit_the_vocabulary(corpus, training) -> None:  # type: ignore[no-untyped-def]
    vocabulary, _ = corpus
    model = new_model(TINY, Vocabulary.build(["ab"]), training=training)
    with pytest.raises(TrainingError, match="classes but the vocabulary has"):
        start_training(model, vocabulary=vocabulary, config=TINY, training=training)


def test_it_refuses_a_batch_size_of_zero() -> None:
    with pytest.raises(TrainingError, match=r"^batch size must be at least 1, got 0$"):
        TrainingConfig(batch_size=0)


def test_it_refuses_an_unknown_objective_and_a_stride_of_zero() -> None:
    with pytest.raises(TrainingError, match=r"^objective must be one of last, all-positions"):
        TrainingConfig(objective="first")  # type: ignore[arg-type]
    with pytest.raises(TrainingError, match=r"^stride must be at least 1, got 0$"):
        TrainingConfig(objective="all-positions", stride=0)


def test_the_validation_loss_is_textgenrnns_last_position_loss_for_both_objectives(
    corpus, training, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    vocabulary, dataset = corpus
    one_epoch = TrainingConfig(**{**training.to_dict(), "epochs": 1})
    model = new_model(TINY, vocabulary, training=one_epoch)
    state = start_training(model, vocabulary=vocabulary, config=TINY, training=one_epoch)
    result = fit(state, dataset, checkpoint_dir=tmp_path)
    # The run's result (the moving average of its weights, the default) in a plain textgenrnn
    # model, scored on the held-out last-position windows.
    averages = weight_averages(state.model)
    assert averages is not None
    plain = build_model(TINY, vocabulary.num_classes)
    copy_weights(state.model, plain, values=averages)
    probabilities = plain.predict(dataset.validation.inputs, verbose=0)
    picked = probabilities[np.arange(len(dataset.validation)), dataset.validation.targets]
    expected = float(-np.log(picked).mean())
    assert result.metrics[0].validation_loss == pytest.approx(expected, rel=1e-4)


def test_a_configuration_saved_before_objectives_existed_trains_textgenrnns_objective() -> None:
    saved = {
        k: v for k, v in LAST.to_dict().items() if k not in ("objective", "stride", "patience")
    }
    assert TrainingConfig.from_dict(saved).objective == "last"
    assert TrainingConfig().objective == "all-positions"  # new runs: the default


def test_a_short_run_trains_rolled_a_long_one_unrolled_and_a_resume_builds_the_same(
    tmp_path: Path, shakespeare_texts: list[str]
) -> None:
    config = ModelConfig()
    run = TrainingConfig(epochs=2, objective="all-positions")  # stride 10
    # 2 epochs x 1,000 characters / 10: 200 windows; 2 x 200,000 / 10: 40,000.
    short = with_planned_unroll(run, config, ["x" * 999])
    long = with_planned_unroll(run, config, ["x" * 199_999])
    on_tensorflow = backend_name() == "tensorflow"
    assert (short.unroll, long.unroll) == (False, on_tensorflow)
    assert with_planned_unroll(replace(run, unroll=True), config, ["x"]).unroll is True
    assert TrainingConfig.from_dict(long.to_dict()).unroll is long.unroll
    with pytest.raises(TrainingError, match="unroll must be"):
        TrainingConfig(unroll="yes")  # type: ignore[arg-type]

    # The choice is the run's: its checkpoints carry it, and a resume builds that loop.
    texts = shakespeare_texts[:8]
    vocabulary = Vocabulary.build(texts)
    chosen = replace(LAST, epochs=1, unroll=not unroll_for_training())
    state = start_training(
        new_model(TINY, vocabulary, training=chosen),
        vocabulary=vocabulary,
        config=TINY,
        training=chosen,
    )
    dataset = build_dataset(texts, vocabulary=vocabulary, config=TINY, seed=5)
    fit(state, dataset, checkpoint_dir=tmp_path)
    resumed = resume_from_file(sorted(tmp_path.glob("*.ckpt*"))[-1])
    assert resumed.training.unroll is chosen.unroll
    assert resumed.model.get_layer("rnn_1").unroll is chosen.unroll


@pytest.mark.parametrize(
    ("losses", "reason"),
    [
        ([2.0, 1.5, 1.6], "did not improve for 1 epoch after epoch 2 (patience 1)"),
        ([2.0, 1.5, 1.6, 1.7], "did not improve for 2 epochs after epoch 2 (patience 1)"),
        ([2.0, 1.5], None),
    ],
)
def test_the_early_stop_reason_counts_the_epochs_waited(
    losses: list[float], reason: str | None
) -> None:
    metrics = [
        EpochMetrics(
            epoch=epoch,
            train_loss=loss,
            validation_loss=loss,
            learning_rate=4e-3,
            windows=10,
            seconds=1.0,
            windows_per_second=10.0,
        )
        for epoch, loss in enumerate(losses, start=1)
    ]
    state = TrainingState(
        model=keras.Sequential(),
        vocabulary=Vocabulary({"a": 1, "b": 2}),
        config=TINY,
        training=TrainingConfig(epochs=6, batch_size=8, patience=1),
        epoch=len(losses),
        metrics=metrics,
    )
    if reason is None:
        assert state.early_stop_reason is None
    else:
        assert state.early_stop_reason == f"early stop: validation loss {reason}"

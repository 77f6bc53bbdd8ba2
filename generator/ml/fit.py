"""The training loop, in small steps: compile, train one epoch, evaluate, checkpoint, fit.

Deterministic given a seed: the epoch's shuffle is a pure function of (seed, epoch), the dropout
RNG lives in Keras seed-generator variables saved with the weights, and Adam's moments and step
count are saved too, so a run resumed from any checkpoint (even one written mid-epoch) replays
exactly the batches and updates an uninterrupted run would have made.

The learning rate follows textgenrnn: 4e-3 decayed linearly per epoch, lr * (1 - epoch / epochs).
On TensorFlow an epoch's batches go through our compiled step (tf_steps.TrainStep), which
trains as Keras' `fit` does in less time; other backends (JAX on GPU hosts) use `fit`.

Two objectives (`TrainingConfig.objective`):
- "last", textgenrnn's: each window of `max_length` tokens teaches the one token after it.
- "all-positions": each window teaches the next token at every position, through the causal
  model of `build_model(all_positions=True)` (same layers, same weights file). Per trained
  token that is about 23x less work, since the 40 LSTM steps of a window serve 40 targets.
  A window every `stride` tokens teaches its last `stride` positions (the earlier ones are
  context another window taught), half a stride longer than textgenrnn's so that those
  positions read contexts centred on its `max_length` (dataset.sequence_window); the training
  model (that length, `_training_shape`) predicts those positions only
  (`build_model(last_positions=stride)`): the attention's averages and the 465-way output
  layer run on `stride` positions, not 40 (1.3–1.9x faster epochs at stride 10). Its LSTMs
  backpropagate through the whole window unless `TrainingConfig.backprop_steps` cuts that
  short (truncated backpropagation through time: the earlier steps are context, run forward
  only; epochs about 1.5x faster, verse models' lines shorter, docs/quality.md).
Whatever the objective, the validation loss is textgenrnn's: the last-position loss on windows
of held-out texts, computed by a last-position model holding the run's result: a moving average
of the trained weights (`TrainingConfig.weight_average`, generator/ml/averaging.py), or the
weights themselves where the run keeps none. The average is what a run keeps and exports.

Early stopping (`TrainingConfig.patience`): the run stops once the validation loss has not
improved for `patience` epochs; `FitResult.best_epoch` names the epoch to keep. Both are decided
from the per-epoch metrics a checkpoint carries, so a resumed run stops where the
uninterrupted one would have.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import keras
import numpy as np

from generator.ml.averaging import AveragingAdam, weight_averages
from generator.ml.backend import backend_name, unroll_for_training
from generator.ml.checkpoint import (
    Checkpoint,
    checkpoint_filename,
    load_checkpoint,
    save_checkpoint,
)
from generator.ml.config import (
    DEFAULT_BATCH_SIZES,
    DEFAULT_DROPOUT,
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_OBJECTIVE,
    DEFAULT_SEED,
    DEFAULT_VALIDATION_SPLIT,
    DEFAULT_WEIGHT_AVERAGE,
    OBJECTIVES,
    MLError,
    ModelConfig,
    Objective,
    TextKind,
    is_weight_average,
)
from generator.ml.dataset import (
    DatasetSplit,
    Windows,
    make_sequence_windows,
    make_windows,
    sequence_window,
    windows_of_split,
)
from generator.ml.network import build_model, copy_weights, is_all_positions, predicted_positions
from generator.ml.tf_steps import TrainStep
from generator.ml.verses import loaded_for_texts
from generator.ml.vocab import Vocabulary
from generator.ml.weights import load_pretrained

FitStatus = Literal["done", "interrupted"]
# Validation has no gradients, so a larger batch is simply faster.
_EVALUATION_BATCH = 1024


class TrainingError(MLError):
    """Training cannot start or continue with these arguments or this checkpoint."""


@dataclass(frozen=True)
class TrainingConfig:
    """How to train (the model's shape is ModelConfig); defaults are textgenrnn's."""

    epochs: int = DEFAULT_EPOCHS
    batch_size: int = DEFAULT_BATCH_SIZES["last"]
    learning_rate: float = DEFAULT_LEARNING_RATE
    dropout: float = DEFAULT_DROPOUT
    validation_split: float = DEFAULT_VALIDATION_SPLIT
    seed: int = DEFAULT_SEED
    # "auto": XLA on JAX (where un-jitted steps are very slow) but not on TensorFlow, where
    # XLA made this model's LSTM training 2-3x slower on CPU (measured, Keras 3.15/TF 2.21).
    jit_compile: bool | Literal["auto"] = "auto"
    objective: Objective = DEFAULT_OBJECTIVE
    # All-positions: a window every `stride` tokens of a text, teaching its last `stride`
    # positions (dataset.make_sequence_windows); None: max_length // 4 (10 for textgenrnn's 40),
    # the stride that reached the best held-out loss soonest in bench/time_to_quality.py.
    stride: int | None = None
    # The LSTM steps at a window's end that training backpropagates through (truncated
    # backpropagation through time; the steps before are context, run forward only). None: all
    # of them. 20 of 45 at all-positions' stride 10 makes epochs about 1.5x faster at about the
    # same held-out loss on line models, but verse models trained so wrote shorter lines and
    # more stubs (docs/quality.md, *Truncated backpropagation*): the whole window is the
    # default. A value at or over the window's length cuts nothing.
    backprop_steps: int | None = None
    # Stop after this many epochs without a better validation loss; None: never.
    patience: int | None = None
    # Unroll the LSTMs' loop (backend.unroll_for_training); None: decided when the run starts
    # from its planned windows (`with_planned_unroll`), then recorded so a resume builds the same.
    unroll: bool | None = None
    # The momentum of the moving average of the weights that the run evaluates, keeps and exports
    # (generator/ml/averaging.py: warmed up, at most this); None: the trained weights themselves.
    weight_average: float | None = DEFAULT_WEIGHT_AVERAGE

    def __post_init__(self) -> None:
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise TrainingError(f"epochs must be at least 1, got {self.epochs}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise TrainingError(f"batch size must be at least 1, got {self.batch_size}")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise TrainingError(f"learning rate must be positive, got {self.learning_rate}")
        if not 0.0 <= self.dropout < 1.0:
            raise TrainingError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.validation_split < 1.0:
            raise TrainingError(f"validation split must be in [0, 1), got {self.validation_split}")
        if self.objective not in OBJECTIVES:
            raise TrainingError(
                f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}"
            )
        if self.stride is not None and (not is_whole_number(self.stride) or self.stride < 1):
            raise TrainingError(f"stride must be at least 1, got {self.stride}")
        if self.backprop_steps is not None and (
            not is_whole_number(self.backprop_steps) or self.backprop_steps < 1
        ):
            raise TrainingError(f"backprop steps must be at least 1, got {self.backprop_steps}")
        if self.unroll is not None and not isinstance(self.unroll, bool):
            raise TrainingError(f"unroll must be true, false or unset, got {self.unroll!r}")
        if self.weight_average is not None and not is_weight_average(self.weight_average):
            raise TrainingError(
                f"weight average must be a momentum between 0 and 1 (exclusive), "
                f"got {self.weight_average!r}"
            )
        if self.patience is not None:
            if not is_whole_number(self.patience) or self.patience < 1:
                raise TrainingError(f"patience must be at least 1 epoch, got {self.patience}")
            if self.validation_split == 0.0:
                raise TrainingError("patience needs a validation split above 0 to watch")

    @property
    def all_positions(self) -> bool:
        return self.objective == "all-positions"

    def stride_for(self, config: ModelConfig) -> int:
        stride = max(config.max_length // 4, 1) if self.stride is None else self.stride
        if stride > config.max_length:
            raise TrainingError(
                f"stride must be at most max_length ({config.max_length}), got {stride}"
            )
        return stride

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingConfig:
        # Runs and checkpoints from before the objective was a choice trained textgenrnn's, and
        # from before weight averaging kept no average (their optimizers hold none).
        return cls(**{"objective": "last", "weight_average": None, **values})


def is_whole_number(value: Any) -> bool:
    """An int that is not a bool (True is an int to Python, not a count to us)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int  # 1-based
    train_loss: float
    validation_loss: float | None
    learning_rate: float
    windows: int  # training windows seen this epoch (in this process, if resumed mid-epoch)
    seconds: float  # wall time of the training part, without validation
    windows_per_second: float
    # Next tokens trained here: windows for "last", every non-padding position otherwise.
    targets: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


STOPPED_ON_REQUEST = "stopped on request"


class StopFlag:
    """Cooperative stop request (set from a SIGTERM handler); checked at each batch boundary.
    The first request's reason is the run's (`reason`): "SIGTERM received", ..."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._reason = STOPPED_ON_REQUEST

    def request(self, reason: str = STOPPED_ON_REQUEST) -> None:
        if not self._event.is_set():
            self._reason = reason
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    @property
    def reason(self) -> str:
        return self._reason


@dataclass
class TrainingState:
    """A compiled model plus where the run stands; what a checkpoint stores."""

    model: keras.Model
    vocabulary: Vocabulary
    config: ModelConfig
    training: TrainingConfig
    epoch: int = 0  # completed epochs
    batches_done: int = 0  # batches of epoch `epoch + 1` already trained
    metrics: list[EpochMetrics] = field(default_factory=list)
    partial_loss_sum: float = 0.0  # sum of batch losses of the partial epoch
    # The last-position model the validation loss is measured with (all-positions training).
    evaluation_model: keras.Model | None = None
    # The compiled training step on TensorFlow (tf_steps.TrainStep), made at the first batch.
    train_step: TrainStep | None = field(default=None, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.epoch >= self.training.epochs

    @property
    def best_epoch(self) -> int | None:
        """The completed epoch with the lowest validation loss (the earliest of equals), or the
        last epoch when there is no validation loss; None before the first epoch."""
        scored = [m for m in self.metrics if m.validation_loss is not None]
        if not scored:
            return self.metrics[-1].epoch if self.metrics else None
        return min(scored, key=lambda m: (m.validation_loss, m.epoch)).epoch

    @property
    def early_stop_reason(self) -> str | None:
        """Why the run stops before its epochs, once the validation loss stopped improving."""
        patience = self.training.patience
        best = self.best_epoch
        if patience is None or best is None or self.finished:
            return None
        if self.epoch - best >= patience:
            waited = self.epoch - best
            return (
                f"early stop: validation loss did not improve for {waited} "
                f"epoch{'' if waited == 1 else 's'} after epoch {best} (patience {patience})"
            )
        return None


@dataclass(frozen=True)
class EpochReport:
    """What `fit` hands its callback after saving a checkpoint."""

    checkpoint_path: Path
    epoch: int  # completed epochs
    batches_done: int  # > 0 for a mid-epoch (interruption) checkpoint
    metrics: EpochMetrics | None  # None for a mid-epoch checkpoint
    state: TrainingState


@dataclass(frozen=True)
class FitResult:
    status: FitStatus
    epochs_completed: int
    metrics: list[EpochMetrics]
    checkpoint_path: Path | None  # the last checkpoint written, if any
    best_epoch: int | None = None  # the epoch to keep: lowest validation loss
    stop_reason: str = ""  # one line: why the run ended here


# -- setting up ------------------------------------------------------------------------------


def resolved_jit_compile(training: TrainingConfig) -> bool:
    if training.jit_compile == "auto":
        return backend_name() == "jax"
    return bool(training.jit_compile)


def compile_for_training(model: keras.Model, training: TrainingConfig) -> None:
    """Adam + sparse categorical cross-entropy on the softmax output (textgenrnn's loss).

    For all-positions, the mean over positions that have a target: class 0 (padding) is
    never a real target, so the loss ignores it.
    """
    loss = (
        keras.losses.SparseCategoricalCrossentropy(ignore_class=0)
        if training.all_positions
        else keras.losses.SparseCategoricalCrossentropy()
    )
    optimizer = (
        keras.optimizers.Adam(learning_rate=training.learning_rate)
        if training.weight_average is None
        else AveragingAdam(
            learning_rate=training.learning_rate, average_momentum=training.weight_average
        )
    )
    model.compile(
        optimizer=optimizer,
        loss=loss,
        jit_compile=resolved_jit_compile(training),
    )
    # Build the optimizer now so its variables exist before a checkpoint is restored.
    model.optimizer.build(model.trainable_variables)


def check_trainable(config: ModelConfig, training: TrainingConfig) -> None:
    """TrainingError when `training` cannot train a network of `config`: a bidirectional LSTM
    reads the tokens the all-positions objective asks it to predict, and its backward
    direction runs from the window's end, so its backpropagation cannot be cut short."""
    if not config.rnn_bidirectional:
        return
    if training.all_positions:
        raise TrainingError(
            "--rnn-bidirectional needs --objective last: a bidirectional LSTM reads the tokens "
            "the all-positions objective asks it to predict"
        )
    if training.backprop_steps is not None:
        raise TrainingError(
            "--backprop-steps needs a unidirectional model: drop --rnn-bidirectional"
        )


def start_training(
    model: keras.Model,
    *,
    vocabulary: Vocabulary,
    config: ModelConfig,
    training: TrainingConfig,
) -> TrainingState:
    """A fresh run from a model (pretrained or new); the model must have been built with
    `training.dropout` (see `new_model`). A model not shaped as the run's training model (a
    last-position model for an all-positions run, another window length) is rebuilt as it, with
    its weights (`_build_for_training`); so is any model for a truncated run, whose cut the
    model's shape does not show."""
    if model.output_shape[-1] != vocabulary.num_classes:
        raise TrainingError(
            f"the model has {model.output_shape[-1]} classes but the vocabulary has "
            f"{vocabulary.size} tokens (+1 padding)"
        )
    check_trainable(config, training)
    if (
        _gradient_steps(training, config) is not None
        or predicted_positions(model) != _trained_positions(training, config)
        or model.input_shape[1] != _training_shape(training, config).max_length
    ):
        rebuilt = _build_for_training(config, vocabulary.num_classes, training)
        copy_weights(model, rebuilt)
        model = rebuilt
    return _compiled_state(model, vocabulary=vocabulary, config=config, training=training)


def _compiled_state(
    model: keras.Model, *, vocabulary: Vocabulary, config: ModelConfig, training: TrainingConfig
) -> TrainingState:
    compile_for_training(model, training)
    return TrainingState(model=model, vocabulary=vocabulary, config=config, training=training)


def _build_for_training(
    config: ModelConfig, num_classes: int, training: TrainingConfig, *, unroll: bool | None = None
) -> keras.Model:
    return build_model(
        _training_shape(training, config),
        num_classes,
        dropout=training.dropout,
        seed=training.seed,
        unroll=_unroll(training) if unroll is None else unroll,
        all_positions=training.all_positions,
        last_positions=_trained_positions(training, config),
        gradient_steps=_gradient_steps(training, config),
    )


def _unroll(training: TrainingConfig) -> bool:
    return unroll_for_training() if training.unroll is None else training.unroll


def with_planned_unroll(
    training: TrainingConfig, config: ModelConfig, texts: Sequence[str]
) -> TrainingConfig:
    """`training` with `unroll` decided for a run over `texts` (kept when already set): the
    windows it will train, epochs x (characters, or characters / stride for all-positions),
    against backend.UNROLL_MIN_WINDOWS. Characters stand in for a word model's tokens (more of
    them: the choice errs toward unrolling, the long-run default)."""
    if training.unroll is not None:
        return training
    characters = sum(len(text) + 1 for text in texts)
    per_epoch = characters // training.stride_for(config) if training.all_positions else characters
    return replace(training, unroll=unroll_for_training(training.epochs * per_epoch))


def _training_shape(training: TrainingConfig, config: ModelConfig) -> ModelConfig:
    """The shape of the model a run trains: `config`, with all-positions windows'
    `sequence_window` length (the weights fit any length; the run's model keeps `config`'s)."""
    if not training.all_positions:
        return config
    return replace(config, max_length=sequence_window(config, training.stride_for(config)))


def _trained_positions(training: TrainingConfig, config: ModelConfig) -> int | None:
    """The positions an all-positions training model predicts: the last `stride` ones, where
    every target of its windows lies (`make_sequence_windows`); None for `last`."""
    return training.stride_for(config) if training.all_positions else None


def _gradient_steps(training: TrainingConfig, config: ModelConfig) -> int | None:
    """How many of a window's last LSTM steps the training model backpropagates through
    (`TrainingConfig.backprop_steps`); None: all of them."""
    steps = training.backprop_steps
    window = _training_shape(training, config).max_length
    return None if steps is None or steps >= window else steps


def initial_state(
    config: ModelConfig,
    training: TrainingConfig,
    *,
    from_pretrained: bool,
    texts: Sequence[str],
    text_kind: TextKind = "lines",
) -> TrainingState:
    """Epoch 0 of a run: textgenrnn's pretrained network (its vocabulary and shape, with
    `config.max_length`; for verse texts grown by the newline token, generator/ml/verses.py),
    or a new network of `config` over the vocabulary of `texts`. The run's `unroll` is decided
    here (`with_planned_unroll`)."""
    training = with_planned_unroll(training, config, texts)
    unroll = _unroll(training)
    if from_pretrained:
        loaded = load_pretrained(dropout=training.dropout, seed=training.seed, unroll=unroll)
        loaded = loaded_for_texts(
            loaded,
            text_kind,
            dropout=training.dropout,
            seed=training.seed,
            unroll=unroll,
        )
        # The pretrained weights fit any window length; only max_length may differ.
        pretrained_config = ModelConfig.from_dict(
            {**loaded.config.to_dict(), "max_length": config.max_length}
        )
        model = loaded.model
        if pretrained_config.max_length != loaded.config.max_length:
            model = build_model(
                pretrained_config,
                loaded.vocabulary.num_classes,
                dropout=training.dropout,
                seed=training.seed,
                unroll=unroll,
            )
            copy_weights(loaded.model, model)
        return start_training(
            model, vocabulary=loaded.vocabulary, config=pretrained_config, training=training
        )
    vocabulary = Vocabulary.build(texts, word_level=config.word_level, max_words=config.max_words)
    check_trainable(config, training)
    # new_model builds the run's training model itself; start_training would build a truncated
    # one (--backprop-steps) a second time, as it cannot see the cut in a model's shape.
    model = new_model(config, vocabulary, training=training)
    return _compiled_state(model, vocabulary=vocabulary, config=config, training=training)


def _sequence_stride(training: TrainingConfig, config: ModelConfig) -> int | None:
    """The all-positions windows' stride, None for textgenrnn's last-position windows."""
    return training.stride_for(config) if training.all_positions else None


def training_windows(
    texts: Sequence[str], *, vocabulary: Vocabulary, config: ModelConfig, training: TrainingConfig
) -> Windows:
    """The windows `training.objective` trains on (validation windows are `make_windows`')."""
    stride = _sequence_stride(training, config)
    if stride is not None:
        return make_sequence_windows(texts, vocabulary=vocabulary, config=config, stride=stride)
    return make_windows(texts, vocabulary=vocabulary, config=config)


def training_dataset(
    train_texts: Sequence[str], validation_texts: Sequence[str], *, state: TrainingState
) -> DatasetSplit:
    """The windows of a split: those the objective trains on, textgenrnn's for validation."""
    return windows_of_split(
        train_texts,
        validation_texts,
        vocabulary=state.vocabulary,
        config=state.config,
        sequence_stride=_sequence_stride(state.training, state.config),
    )


def serving_model(state: TrainingState) -> keras.Model:
    """The run's result in textgenrnn's last-position model, without dropout: the weights'
    moving average where the run keeps one (`TrainingConfig.weight_average`), else the trained
    weights (for `last`, the training model itself)."""
    averages = weight_averages(state.model)
    if not is_all_positions(state.model) and averages is None:
        return state.model
    if state.evaluation_model is None:
        state.evaluation_model = build_model(state.config, state.vocabulary.num_classes)
        state.evaluation_model.compile(
            loss=keras.losses.SparseCategoricalCrossentropy(),
            jit_compile=resolved_jit_compile(state.training),
        )
    copy_weights(state.model, state.evaluation_model, values=averages)
    return state.evaluation_model


def new_model(
    config: ModelConfig, vocabulary: Vocabulary, *, training: TrainingConfig
) -> keras.Model:
    """A randomly initialised model; the seed makes its initial weights reproducible."""
    keras.utils.set_random_seed(training.seed)
    return _build_for_training(config, vocabulary.num_classes, training)


def to_checkpoint(state: TrainingState) -> Checkpoint:
    model_variables = list(state.model.variables)
    optimizer_variables = list(state.model.optimizer.variables)
    return Checkpoint(
        config=state.config,
        vocabulary=state.vocabulary,
        model_variables=[keras.ops.convert_to_numpy(v) for v in model_variables],
        optimizer_variables=[keras.ops.convert_to_numpy(v) for v in optimizer_variables],
        model_variable_paths=[v.path for v in model_variables],
        optimizer_variable_paths=[v.path for v in optimizer_variables],
        epoch=state.epoch,
        batches_done=state.batches_done,
        seed=state.training.seed,
        metrics=[m.to_dict() for m in state.metrics],
        training=state.training.to_dict(),
        partial_epoch={"loss_sum": state.partial_loss_sum},
    )


def resume_training(
    checkpoint: Checkpoint, *, epochs: int | None = None, unroll: bool | None = None
) -> TrainingState:
    """Rebuild model, optimizer and progress from a checkpoint; `epochs` may extend the run."""
    training = TrainingConfig.from_dict(checkpoint.training)
    if epochs is not None:
        training = TrainingConfig.from_dict({**training.to_dict(), "epochs": epochs})
    model = _build_for_training(
        checkpoint.config, checkpoint.vocabulary.num_classes, training, unroll=unroll
    )
    compile_for_training(model, training)
    _assign_all(model.variables, checkpoint.model_variables, what="model")
    _assign_all(model.optimizer.variables, checkpoint.optimizer_variables, what="optimizer")
    return TrainingState(
        model=model,
        vocabulary=checkpoint.vocabulary,
        config=checkpoint.config,
        training=training,
        epoch=checkpoint.epoch,
        batches_done=checkpoint.batches_done,
        metrics=[EpochMetrics(**m) for m in checkpoint.metrics],
        partial_loss_sum=float(checkpoint.partial_epoch.get("loss_sum", 0.0)),
    )


def resume_from_file(path: Path, *, epochs: int | None = None) -> TrainingState:
    return resume_training(load_checkpoint(path), epochs=epochs)


def _assign_all(variables: list[Any], arrays: list[np.ndarray], *, what: str) -> None:
    if len(variables) != len(arrays):
        raise TrainingError(
            f"the checkpoint has {len(arrays)} {what} variables, the model {len(variables)}"
        )
    for variable, array in zip(variables, arrays, strict=True):
        if tuple(variable.shape) != tuple(array.shape):
            raise TrainingError(
                f"{what} variable {variable.path}: checkpoint shape {array.shape}, "
                f"model shape {tuple(variable.shape)}"
            )
        variable.assign(array)


# -- the steps -------------------------------------------------------------------------------


def learning_rate_for(training: TrainingConfig, epoch_index: int) -> float:
    """textgenrnn's linear decay; `epoch_index` is 0-based."""
    return training.learning_rate * (1.0 - epoch_index / training.epochs)


def epoch_order(num_windows: int, *, seed: int, epoch_index: int) -> np.ndarray:
    """The shuffle of an epoch: depends only on the seed and the epoch, so it can be replayed."""
    return np.random.default_rng([seed, epoch_index]).permutation(num_windows)


def batches_per_epoch(num_windows: int, batch_size: int) -> int:
    # Whole batches only, like textgenrnn (floor); one short batch if the corpus is tiny.
    return max(num_windows // batch_size, 1)


class _BatchWatcher(keras.callbacks.Callback):  # type: ignore[misc]  # Keras is untyped
    """Counts an epoch's finished batches (from `done`), reports each to `on_batch`, and says
    when a requested stop ends the epoch; as a Keras callback it stops `fit` there."""

    def __init__(
        self,
        stop: StopFlag | None,
        on_batch: Callable[[int, int], None] | None,
        total: int,
        done: int,
    ) -> None:
        super().__init__()
        self.stop, self.on_batch, self.total, self.done = stop, on_batch, total, done

    def batch_done(self) -> bool:
        """Count one batch; True when the epoch should end after it."""
        self.done += 1
        if self.on_batch is not None:
            self.on_batch(self.done, self.total)
        return self.stop is not None and self.stop.requested

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.batch_done():
            self.model.stop_training = True


def train_one_epoch(
    state: TrainingState,
    train: Windows,
    *,
    stop: StopFlag | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> tuple[float, int, float]:
    """Train the rest of epoch `state.epoch + 1`; returns (mean loss of its batches run here,
    windows trained here, seconds). Leaves `state.batches_done` > 0 if stopped early."""
    training = state.training
    epoch_index = state.epoch
    batch_size = min(training.batch_size, len(train))
    total = batches_per_epoch(len(train), batch_size)
    order = epoch_order(len(train), seed=training.seed, epoch_index=epoch_index)
    order = order[state.batches_done * batch_size : total * batch_size]
    state.model.optimizer.learning_rate = learning_rate_for(training, epoch_index)
    inputs, targets = train.inputs[order], _predicted_targets(state.model, train)[order]
    watcher = _BatchWatcher(stop, on_batch, total, done=state.batches_done)
    run_batches = _train_batches if backend_name() == "tensorflow" else _fit_batches
    started = time.perf_counter()
    loss = run_batches(state, inputs, targets, batch_size, watcher)
    seconds = time.perf_counter() - started
    run_here = watcher.done - state.batches_done  # at least one: a stop ends an epoch after a batch
    state.partial_loss_sum += loss * run_here
    state.batches_done = watcher.done if watcher.done < total else 0
    return loss, run_here * batch_size, seconds


def _train_batches(
    state: TrainingState,
    inputs: np.ndarray,
    targets: np.ndarray,
    batch_size: int,
    watcher: _BatchWatcher,
) -> float:
    """TensorFlow: the batches through our compiled step (tf_steps); the mean loss of those
    run (until the watcher ends the epoch)."""
    if state.train_step is None:
        state.train_step = TrainStep(state.model, jit_compile=resolved_jit_compile(state.training))
    losses, ran = 0.0, 0
    for start in range(0, len(inputs), batch_size):
        losses += state.train_step(
            inputs[start : start + batch_size], targets[start : start + batch_size]
        )
        ran += 1
        if watcher.batch_done():
            break
    return losses / ran


def _fit_batches(
    state: TrainingState,
    inputs: np.ndarray,
    targets: np.ndarray,
    batch_size: int,
    watcher: _BatchWatcher,
) -> float:
    """Other backends (JAX on a GPU host): the batches through Keras' `fit`, the watcher as its
    callback; the mean loss of those run."""
    history = state.model.fit(
        **_batches(inputs, targets, batch_size),
        epochs=1,
        shuffle=False,
        verbose=0,
        callbacks=[watcher],
    )
    return float(history.history["loss"][-1])


def _predicted_targets(model: keras.Model, windows: Windows) -> np.ndarray:
    """The windows' targets at the positions the model predicts (all-positions windows' last
    `predicted_positions`: the positions before them must have no target)."""
    positions = predicted_positions(model)
    if positions is None or windows.targets.ndim == 1 or positions >= windows.targets.shape[1]:
        return windows.targets
    if np.any(windows.targets[:, :-positions]):
        raise TrainingError(
            f"the windows have targets before their last {positions} positions (a stride "
            f"larger than the model's)"
        )
    return windows.targets[:, -positions:]


def evaluate(model: keras.Model, windows: Windows) -> float | None:
    """The mean loss of a model on windows (textgenrnn's last-position windows for validation)."""
    if len(windows) == 0:
        return None
    loss = model.evaluate(**_batches(windows.inputs, windows.targets, _EVALUATION_BATCH), verbose=0)
    return float(loss)


def validation_loss(state: TrainingState, windows: Windows) -> float | None:
    """The yardstick: textgenrnn's last-position loss, whatever the training objective."""
    return evaluate(serving_model(state), windows)


def _batches(inputs: np.ndarray, targets: np.ndarray, batch_size: int) -> dict[str, Any]:
    """`fit`/`evaluate` arguments for these arrays, in order, in batches (TensorFlow trains
    through tf_steps instead, and evaluates with these).

    On TensorFlow, a tf.data pipeline of our own with autotuning off: the one Keras builds
    for arrays autotunes, and its teardown at the end of `fit` waited about 5 s in most epochs
    here (20.5 s epochs of 14.9 s of batches; Keras 3.15, TF 2.21). Other backends take the
    arrays (a GPU host running JAX need not have TensorFlow).
    """
    if backend_name() != "tensorflow":
        return {"x": inputs, "y": targets, "batch_size": batch_size}
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(batch_size)
    return {"x": dataset.with_options(options)}


def save_state(state: TrainingState, directory: Path) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / checkpoint_filename(state.epoch, state.batches_done)
    save_checkpoint(to_checkpoint(state), path)
    return path


def fit(
    state: TrainingState,
    dataset: DatasetSplit,
    *,
    checkpoint_dir: Path,
    on_epoch_end: Callable[[EpochReport], None] | None = None,
    stop: StopFlag | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> FitResult:
    """Train until `state.training.epochs`, checkpointing after every epoch.

    After each epoch's checkpoint is written `on_epoch_end` gets its path (to upload it). When
    `stop` is requested the current batch finishes, a mid-epoch checkpoint is written and
    handed to `on_epoch_end` too, and the result's status is "interrupted".
    """
    last_checkpoint: Path | None = None
    while not state.finished and state.early_stop_reason is None:
        resumed_batches = state.batches_done
        loss, windows, seconds = train_one_epoch(state, dataset.train, stop=stop, on_batch=on_batch)
        if state.batches_done:  # stopped inside the epoch
            last_checkpoint = save_state(state, checkpoint_dir)
            if on_epoch_end is not None:
                on_epoch_end(_report(state, last_checkpoint, None))
            return _result(state, "interrupted", last_checkpoint, stop=stop)
        total = batches_per_epoch(
            len(dataset.train), min(state.training.batch_size, len(dataset.train))
        )
        # Mean over the whole epoch, including batches run before a resume.
        epoch_loss = state.partial_loss_sum / total if resumed_batches else loss
        metrics = EpochMetrics(
            epoch=state.epoch + 1,
            train_loss=epoch_loss,
            validation_loss=validation_loss(state, dataset.validation),
            learning_rate=learning_rate_for(state.training, state.epoch),
            windows=windows,
            seconds=seconds,
            windows_per_second=windows / seconds if seconds > 0 else 0.0,
            targets=_targets_trained(dataset.train, windows),
        )
        state.epoch += 1
        state.partial_loss_sum = 0.0
        state.metrics.append(metrics)
        last_checkpoint = save_state(state, checkpoint_dir)
        if on_epoch_end is not None:
            on_epoch_end(_report(state, last_checkpoint, metrics))
        stopped_here = state.finished or state.early_stop_reason is not None
        if stop is not None and stop.requested and not stopped_here:
            return _result(state, "interrupted", last_checkpoint, stop=stop)
    return _result(state, "done", last_checkpoint)


def _targets_trained(train: Windows, windows: int) -> int:
    # Windows are shuffled, so a partial pass counts its share of the targets.
    if len(train) == 0:
        return 0
    return round(train.target_count * windows / len(train))


def _result(
    state: TrainingState,
    status: FitStatus,
    checkpoint: Path | None,
    *,
    stop: StopFlag | None = None,
) -> FitResult:
    if status == "interrupted":
        reason = stop.reason if stop is not None else STOPPED_ON_REQUEST
    else:
        reason = state.early_stop_reason or f"finished its {state.training.epochs} epochs"
    return FitResult(
        status=status,
        epochs_completed=state.epoch,
        metrics=list(state.metrics),
        checkpoint_path=checkpoint,
        best_epoch=state.best_epoch,
        stop_reason=reason,
    )


def _report(state: TrainingState, path: Path, metrics: EpochMetrics | None) -> EpochReport:
    return EpochReport(
        checkpoint_path=path,
        epoch=state.epoch,
        batches_done=state.batches_done,
        metrics=metrics,
        state=state,
    )

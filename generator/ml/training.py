"""The training loop, in small steps: compile, train one epoch, evaluate, checkpoint, fit.

Deterministic given a seed: the epoch's shuffle is a pure function of (seed, epoch), the dropout
RNG lives in Keras seed-generator variables saved with the weights, and Adam's moments and step
count are saved too, so a run resumed from any checkpoint (even one written mid-epoch) replays
exactly the batches and updates an uninterrupted run would have made.

The learning rate follows textgenrnn: 4e-3 decayed linearly per epoch, lr * (1 - epoch / epochs).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import keras
import numpy as np

from generator.ml.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from generator.ml.config import MLError, ModelConfig
from generator.ml.dataset import DatasetSplit, Windows
from generator.ml.network import build_model
from generator.ml.vocab import Vocabulary

FitStatus = Literal["done", "interrupted"]
# Validation has no gradients, so a larger batch is simply faster.
_EVALUATION_BATCH = 1024


class TrainingError(MLError):
    """Training cannot start or continue with these arguments or this checkpoint."""


@dataclass(frozen=True)
class TrainingConfig:
    """How to train (the model's shape is ModelConfig); defaults are textgenrnn's."""

    epochs: int = 25
    batch_size: int = 128
    learning_rate: float = 4e-3
    dropout: float = 0.0
    validation_split: float = 0.1
    seed: int = 0
    # "auto": XLA on JAX (where un-jitted steps are very slow) but not on TensorFlow, where
    # XLA made this model's LSTM training 2-3x slower on CPU (measured, Keras 3.15/TF 2.21).
    jit_compile: bool | Literal["auto"] = "auto"

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingConfig:
        return cls(**values)


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int  # 1-based
    train_loss: float
    validation_loss: float | None
    learning_rate: float
    windows: int  # training windows seen this epoch (in this process, if resumed mid-epoch)
    seconds: float  # wall time of the training part, without validation
    windows_per_second: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StopFlag:
    """Cooperative stop request (set from a SIGTERM handler); checked at each batch boundary."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def request(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()


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

    @property
    def finished(self) -> bool:
        return self.epoch >= self.training.epochs


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


# -- setting up ------------------------------------------------------------------------------


def resolved_jit_compile(training: TrainingConfig) -> bool:
    if training.jit_compile == "auto":
        return keras.backend.backend() == "jax"
    return bool(training.jit_compile)


def compile_for_training(model: keras.Model, training: TrainingConfig) -> None:
    """Adam + sparse categorical cross-entropy on the softmax output (textgenrnn's loss)."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=training.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        jit_compile=resolved_jit_compile(training),
    )
    # Build the optimizer now so its variables exist before a checkpoint is restored.
    model.optimizer.build(model.trainable_variables)


def start_training(
    model: keras.Model,
    *,
    vocabulary: Vocabulary,
    config: ModelConfig,
    training: TrainingConfig,
) -> TrainingState:
    """A fresh run from a model (pretrained or new); the model must have been built with
    `training.dropout` (see `new_model`)."""
    if model.output_shape[-1] != vocabulary.num_classes:
        raise TrainingError(
            f"the model has {model.output_shape[-1]} classes but the vocabulary has "
            f"{vocabulary.size} tokens (+1 padding)"
        )
    compile_for_training(model, training)
    return TrainingState(model=model, vocabulary=vocabulary, config=config, training=training)


def unroll_for_training() -> bool:
    """Whether to unroll the LSTMs' fixed-length loop for training.

    On TensorFlow, unrolling the `max_length` steps trained about 20% more windows/s on CPU than
    TensorFlow's while-loop (measured with bench/train_throughput.py); on JAX, XLA compiles the
    scan itself. The weights are the same either way, so serving builds the rolled model.
    """
    return keras.backend.backend() == "tensorflow"


def configure_cpu_threads(*, intra_op: int, inter_op: int) -> bool:
    """Set TensorFlow's CPU thread pools for this process; True if they were set.

    Must run before TensorFlow's first op; afterwards the pools are fixed and this returns
    False (the process keeps TensorFlow's defaults). 0 means TensorFlow's own choice. The
    unrolled training graph is thousands of small ops that can run side by side (the two LSTMs
    work as a wavefront), so on 2 cores one thread per op and two ops at a time (1, 2) trained
    about 10% more windows/s than TensorFlow's default (2, 2), with the same weights bit for
    bit (bench/train_throughput.py). Other backends manage their own threads: no-op there.
    """
    if intra_op < 0 or inter_op < 0:
        raise TrainingError(f"thread counts cannot be negative, got {intra_op}, {inter_op}")
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    threading_config = tf.config.threading
    wanted = (intra_op, inter_op)
    current = (
        threading_config.get_intra_op_parallelism_threads(),
        threading_config.get_inter_op_parallelism_threads(),
    )
    if current == wanted:
        return True
    try:
        threading_config.set_intra_op_parallelism_threads(intra_op)
        threading_config.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError:  # TensorFlow already ran an op in this process
        return False
    return True


def new_model(
    config: ModelConfig, vocabulary: Vocabulary, *, training: TrainingConfig
) -> keras.Model:
    """A randomly initialised model; the seed makes its initial weights reproducible."""
    keras.utils.set_random_seed(training.seed)
    return build_model(
        config,
        vocabulary.num_classes,
        dropout=training.dropout,
        seed=training.seed,
        unroll=unroll_for_training(),
    )


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
    model = build_model(
        checkpoint.config,
        checkpoint.vocabulary.num_classes,
        dropout=training.dropout,
        seed=training.seed,
        unroll=unroll_for_training() if unroll is None else unroll,
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


class _BatchWatcher(keras.callbacks.Callback):
    """Counts finished batches and stops fit at the next boundary once a stop is requested."""

    def __init__(
        self, stop: StopFlag | None, on_batch: Callable[[int, int], None] | None, total: int
    ) -> None:
        super().__init__()
        self.stop, self.on_batch, self.total, self.done = stop, on_batch, total, 0

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.done += 1
        if self.on_batch is not None:
            self.on_batch(self.done, self.total)
        if self.stop is not None and self.stop.requested:
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
    watcher = _BatchWatcher(stop, on_batch, total)
    watcher.done = state.batches_done
    started = time.perf_counter()
    history = state.model.fit(
        **_batches(train.inputs[order], train.targets[order], batch_size),
        epochs=1,
        shuffle=False,
        verbose=0,
        callbacks=[watcher],
    )
    seconds = time.perf_counter() - started
    run_here = watcher.done - state.batches_done
    loss = float(history.history["loss"][-1]) if run_here else float("nan")
    state.partial_loss_sum += loss * run_here if run_here else 0.0
    state.batches_done = watcher.done
    if state.batches_done >= total:
        state.batches_done = 0
    return loss, run_here * batch_size, seconds


def evaluate(model: keras.Model, windows: Windows) -> float | None:
    if len(windows) == 0:
        return None
    loss = model.evaluate(**_batches(windows.inputs, windows.targets, _EVALUATION_BATCH), verbose=0)
    return float(loss)


def _batches(inputs: np.ndarray, targets: np.ndarray, batch_size: int) -> dict[str, Any]:
    """`fit`/`evaluate` arguments for these arrays, in order, in batches.

    On TensorFlow, a tf.data pipeline of our own with autotuning off: the one Keras builds
    for arrays autotunes, and its teardown at the end of `fit` waited about 5 s in most epochs
    here (20.5 s epochs of 14.9 s of batches; Keras 3.15, TF 2.21). Other backends take the
    arrays (a GPU host running JAX need not have TensorFlow).
    """
    if keras.backend.backend() != "tensorflow":
        return {"x": inputs, "y": targets, "batch_size": batch_size}
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(batch_size)
    return {"x": dataset.with_options(options)}


def checkpoint_filename(epoch: int, batches_done: int = 0) -> str:
    """Sortable names: `epoch-0003.ckpt`, or `epoch-0003-batch-000017.ckpt` mid-epoch 4."""
    if batches_done:
        return f"epoch-{epoch:04d}-batch-{batches_done:06d}.ckpt"
    return f"epoch-{epoch:04d}.ckpt"


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
    while not state.finished:
        resumed_batches = state.batches_done
        loss, windows, seconds = train_one_epoch(state, dataset.train, stop=stop, on_batch=on_batch)
        if state.batches_done:  # stopped inside the epoch
            last_checkpoint = save_state(state, checkpoint_dir)
            if on_epoch_end is not None:
                on_epoch_end(_report(state, last_checkpoint, None))
            return FitResult("interrupted", state.epoch, list(state.metrics), last_checkpoint)
        total = batches_per_epoch(
            len(dataset.train), min(state.training.batch_size, len(dataset.train))
        )
        # Mean over the whole epoch, including batches run before a resume.
        epoch_loss = state.partial_loss_sum / total if resumed_batches else loss
        metrics = EpochMetrics(
            epoch=state.epoch + 1,
            train_loss=epoch_loss,
            validation_loss=evaluate(state.model, dataset.validation),
            learning_rate=learning_rate_for(state.training, state.epoch),
            windows=windows,
            seconds=seconds,
            windows_per_second=windows / seconds if seconds > 0 else 0.0,
        )
        state.epoch += 1
        state.partial_loss_sum = 0.0
        state.metrics.append(metrics)
        last_checkpoint = save_state(state, checkpoint_dir)
        if on_epoch_end is not None:
            on_epoch_end(_report(state, last_checkpoint, metrics))
        if stop is not None and stop.requested and not state.finished:
            return FitResult("interrupted", state.epoch, list(state.metrics), last_checkpoint)
    return FitResult("done", state.epoch, list(state.metrics), last_checkpoint)


def _report(state: TrainingState, path: Path, metrics: EpochMetrics | None) -> EpochReport:
    return EpochReport(
        checkpoint_path=path,
        epoch=state.epoch,
        batches_done=state.batches_done,
        metrics=metrics,
        state=state,
    )

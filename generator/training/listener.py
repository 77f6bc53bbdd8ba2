"""What a door sees of a training session: the events a listener hears, and the outcome.

The command's progress bar listens (generator/management/progress.py); tests listen to stop a
run at a chosen checkpoint. A session works the same with no listener at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from generator.ml.fit import EpochMetrics
from generator.models import ModelVersion, TrainingRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionStarted:
    run_id: int
    device: str
    epoch: int  # completed epochs when the session starts
    batches_done: int  # batches of the next epoch already trained (a mid-epoch resume)
    epochs: int
    batches_per_epoch: int
    batch_size: int
    train_windows: int
    validation_windows: int
    unknown_tokens: int  # corpus tokens the vocabulary lacks (left out, as textgenrnn did)


@dataclass(frozen=True)
class CheckpointStored:
    epoch: int  # completed epochs
    epochs: int
    batches_done: int  # > 0 for a mid-epoch (interruption) checkpoint
    key: str
    metrics: EpochMetrics | None


@dataclass
class TrainingListener:
    """Optional hooks for a door that shows progress (the command's progress bar)."""

    on_start: Callable[[SessionStarted], None] | None = None
    on_batch: Callable[[int, int], None] | None = None
    on_checkpoint: Callable[[CheckpointStored], None] | None = None
    on_warning: Callable[[str], None] | None = None

    def warn(self, message: str) -> None:
        logger.warning("%s", message)
        if self.on_warning is not None:
            self.on_warning(message)


@dataclass(frozen=True)
class RunOutcome:
    run: TrainingRun
    version: ModelVersion | None  # registered when the run is done
    message: str  # one line: what happened and what to do next
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.run.status)

"""Training runs as a service: create a run, train or resume it, import textgenrnn files.

`manage.py train`, the Celery task `train_model` and the corpus admin action are thin doors into
these functions; the ML core they drive (generator/ml) knows nothing of Django.
"""

from __future__ import annotations

from generator.training.errors import TrainingRequestError, TrainingRunError
from generator.training.requests import corpus_size_warning, create_training_run
from generator.training.runner import (
    RunOutcome,
    TrainingListener,
    resume_training_run,
    run_training,
)

__all__ = [
    "RunOutcome",
    "TrainingListener",
    "TrainingRequestError",
    "TrainingRunError",
    "corpus_size_warning",
    "create_training_run",
    "resume_training_run",
    "run_training",
]

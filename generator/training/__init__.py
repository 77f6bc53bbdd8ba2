"""Training runs as a service: ask for a run, train or resume it, import textgenrnn files.

`manage.py train`, `manage.py prepare_demo_model`, the Celery task `train_model` and the admin
are thin doors into these functions; the ML core they drive (generator/ml) knows nothing of
Django.
"""

from __future__ import annotations

from generator.training.errors import TrainingRequestError, TrainingRunError
from generator.training.listener import RunOutcome, TrainingListener
from generator.training.requests import RunOptions, corpus_size_warning, create_training_run
from generator.training.runner import start_or_resume_run

__all__ = [
    "RunOptions",
    "RunOutcome",
    "TrainingListener",
    "TrainingRequestError",
    "TrainingRunError",
    "corpus_size_warning",
    "create_training_run",
    "start_or_resume_run",
]

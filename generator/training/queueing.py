"""Starting a run in the background (the corpus admin action): create it, queue the task."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from generator.models import TrainingRun
from generator.training.requests import create_training_run


def admin_training_options() -> dict[str, Any]:
    """Options of runs started from the admin: textgenrnn's defaults (a pretrained fine-tune,
    25 epochs), overridable with the TRAINING_ADMIN_OPTIONS setting (create_training_run's
    keyword arguments)."""
    return dict(getattr(settings, "TRAINING_ADMIN_OPTIONS", None) or {})


def queue_training_run(*, corpus_id: int) -> TrainingRun:
    """A queued run on the corpus, its task sent once the row is committed (a worker must see
    it). Raises TrainingRequestError (one line) when the corpus cannot be trained on now."""
    from generator.tasks import send_training_task

    with transaction.atomic():
        run = create_training_run(corpus_id=corpus_id, **admin_training_options())
        transaction.on_commit(lambda: send_training_task(run.pk))
    return run

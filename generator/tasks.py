"""Celery doors into the training service.

Run training on its own queue, one run per worker process at a time:

    celery -A raplyrics worker -Q training --concurrency 1

(`CELERY_WORKER_PREFETCH_MULTIPLIER = 1` keeps a busy worker from reserving a second run.)
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.app.task import Task
from django.conf import settings

from generator.evaluation import EVALUATION_TASK
from generator.ml.fit import StopFlag
from generator.models import TrainingRun
from generator.training import TrainingRequestError, TrainingRunError, start_or_resume_run
from generator.training.stopping import stop_on_signals

logger = logging.getLogger(__name__)

TRAINING_QUEUE = "training"
# Seconds before an interrupted run's task is handed to another worker to resume.
RESUME_COUNTDOWN_S = 10


@shared_task(
    bind=True,
    name="generator.train_model",
    # Acknowledged only when done: if the worker's machine vanishes, the broker redelivers.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def train_model(self: Task, run_id: int) -> dict[str, Any]:
    """Train (or resume) run `run_id`; the same service as `manage.py train`.

    A queued run starts; an interrupted one resumes from its newest stored checkpoint. When the
    worker is told to stop (SIGTERM in the worker's process) the run stops at the next batch and,
    on a real broker, the task is queued again so that another worker resumes it. A task
    redelivered because its worker vanished finds the run still "running": it resumes it once
    the run has been silent for TRAINING_SILENT_AFTER_S, and looks again until then.
    """
    TrainingRun.objects.filter(pk=run_id).update(celery_task_id=self.request.id or "")
    status = TrainingRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
    stop = StopFlag()
    try:
        with stop_on_signals(stop):
            # A failed run waits for a person (manage.py train --resume, the admin).
            outcome = start_or_resume_run(run_id, stop=stop, resume_failed=False)
    except TrainingRequestError as exc:
        logger.warning("train_model(%s) refused: %s", run_id, exc)
        if status == TrainingRun.Status.RUNNING and not self.request.is_eager:
            # Running elsewhere, or its worker vanished a moment ago: look again once it
            # could have gone silent.
            raise self.retry(countdown=settings.TRAINING_SILENT_AFTER_S) from None
        # Nothing to do (done, missing, not startable): not worth a retry.
        return {"run_id": run_id, "status": status, "message": str(exc)}
    except TrainingRunError as exc:
        logger.error("%s", exc)
        return {"run_id": run_id, "status": TrainingRun.Status.FAILED, "message": str(exc)}
    logger.info("%s", outcome.message)
    # Told to stop by its worker (SIGTERM): another worker resumes it. Stopped by staff (the
    # admin's Stop, recorded on the run): it waits for someone to resume it.
    stopped_by_staff = TrainingRun.objects.filter(
        pk=run_id, stop_requested_at__isnull=False
    ).exists()
    interrupted = outcome.status == TrainingRun.Status.INTERRUPTED
    if interrupted and not stopped_by_staff and not self.request.is_eager:
        raise self.retry(countdown=RESUME_COUNTDOWN_S)
    return {"run_id": run_id, "status": outcome.status, "message": outcome.message}


def send_training_task(run_id: int) -> None:
    """Queue `train_model` on the training queue (also routed there by CELERY_TASK_ROUTES)."""
    train_model.apply_async(args=(run_id,), queue=TRAINING_QUEUE)


@shared_task(name=EVALUATION_TASK, acks_late=True, reject_on_worker_lost=True)
def evaluate_model(version_id: int) -> dict[str, Any]:
    """Evaluate model version `version_id`; the same service as `manage.py evaluate`."""
    from generator.evaluation import EvaluationError, evaluate_model_version, summary_line

    try:
        evaluation = evaluate_model_version(version_id=version_id)
    except EvaluationError as exc:
        logger.warning("evaluate_model(%s) refused: %s", version_id, exc)
        return {"version_id": version_id, "evaluation_id": None, "message": str(exc)}
    message = summary_line(evaluation)
    logger.info("model version %s evaluated: %s", version_id, message)
    return {"version_id": version_id, "evaluation_id": evaluation.pk, "message": message}


@shared_task(name="generator.purge_drafts")
def purge_drafts() -> int:
    """Delete expired, unstarred drafts (daily, CELERY_BEAT_SCHEDULE); `manage.py purge_drafts`."""
    from generator.drafts import purge_expired_drafts

    deleted = purge_expired_drafts()
    logger.info("purged %s expired draft(s)", deleted)
    return deleted

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker

from lyrics.tasks import refresh_corpus_stats
from raplyrics.celery import app
from tests.factories import VerseFactory

needs_redis = pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"),
    reason="no Redis broker on 127.0.0.1:6379 (the fallback run uses eager Celery)",
)


@pytest.fixture
def redis_worker() -> Iterator[None]:
    app.conf.task_always_eager = False
    try:
        # The queue named: a worker started earlier in this process with `queues=[...]` (the
        # training queue's test) leaves the app consuming only those.
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=10,
            queues=[app.conf.task_default_queue],
        ):
            yield
    finally:
        app.conf.task_always_eager = True


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_redis_broker_runs_the_stats_task(redis_worker: None) -> None:
    VerseFactory()
    VerseFactory(included=False)

    result = refresh_corpus_stats.delay()

    stats = result.get(timeout=30)
    assert stats["verses"] == 2
    assert stats["verses_included"] == 1
    assert app.conf.broker_url.startswith("redis://")


def test_without_a_broker_tasks_run_in_the_calling_process(db: None) -> None:
    VerseFactory()
    assert refresh_corpus_stats.apply().get()["verses_included"] == 1

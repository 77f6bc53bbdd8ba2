"""The Celery app. Settings come from Django's settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raplyrics.settings")
# TensorFlow's C++ start-up chatter (CPU feature notes) is not for operators.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

app = Celery("raplyrics")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

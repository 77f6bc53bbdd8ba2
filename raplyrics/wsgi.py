"""WSGI entry point (gunicorn raplyrics.wsgi)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raplyrics.settings")
# TensorFlow's C++ start-up chatter (CPU feature notes) is not for operators.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

application = get_wsgi_application()

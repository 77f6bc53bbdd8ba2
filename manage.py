#!/usr/bin/env python
"""Django's command-line utility, which answers a configuration error in one line."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raplyrics.settings")
    # TensorFlow's C++ start-up chatter (CPU feature notes) is not for operators.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A missing or malformed setting is the operator's to fix: say which, without a traceback.
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()

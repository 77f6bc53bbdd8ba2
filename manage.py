#!/usr/bin/env python
"""Django's command-line utility, which answers a configuration error and a Ctrl-C in one line,
writes each line of output as it is made (a pipe or a log file is not left waiting for 8 KB),
and ends quietly when its output's reader went away (`manage.py ... | head`)."""

from __future__ import annotations

import io
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raplyrics.settings")
    # TensorFlow's C++ start-up chatter (CPU feature notes) is not for operators.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from common.output import discard_output, has_lost_its_reader, is_closed_output_error

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    try:
        execute_from_command_line(sys.argv)
        # What a pipe still buffers is written here, where a reader that went away is
        # answered below, not by a traceback from the interpreter's exit.
        sys.stdout.flush()
    except ImproperlyConfigured as error:
        # A missing or malformed setting is the operator's to fix: say which, without a traceback.
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        # Commands that can stop in a better place catch it themselves (train, scrape); for the
        # rest what they wrote is whole (each write is a transaction or an atomic file).
        sys.stderr.write("interrupted (Ctrl-C)\n")
        sys.exit(130)
    except OSError as error:
        lost = [stream for stream in (sys.stdout, sys.stderr) if has_lost_its_reader(stream)]
        if not (is_closed_output_error(error) and lost):
            raise
        # As a Unix tool ends when its reader does: no traceback, nothing more written.
        for stream in lost:
            discard_output(stream)
        sys.exit(1)


if __name__ == "__main__":
    main()

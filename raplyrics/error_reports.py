"""Error reports (DEBUG pages, mailed tracebacks) that never show a credential.

Django already hides settings whose names say KEY, SECRET, TOKEN or PASS. A URL setting carries
its password inside the value (`DATABASE_URL=postgres://user:pass@host/db`, a Redis or broker
URL), so every value that looks like a URL has its password replaced too, in settings and in the
request's META alike.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@host -> scheme://user:********@host
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@")


def mask_url_passwords(text: str) -> str:
    return _URL_PASSWORD.sub(r"\g<head>********@", text)


class CredentialMaskingFilter(SafeExceptionReporterFilter):
    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleaned = super().cleanse_setting(key, value)
        if type(cleaned) is str:  # not isinstance: lazy objects pose as str
            return mask_url_passwords(cleaned)
        return cleaned

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        """A local string holding a URL (a connection string being built) is masked as well."""
        return [
            (name, mask_url_passwords(value) if type(value) is str else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

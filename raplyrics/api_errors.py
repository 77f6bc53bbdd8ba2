"""One error shape for the whole API: `{"error": "<one readable line>", "fields": {...}}`.

`error` is always present and says what to do; `fields` maps a request field to its messages when
the problem is one of validation. Throttled requests, and requests a busy worker turns away
(503), also carry `retry_after` (seconds) and a `Retry-After` header.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is busy; try again in a moment."
    default_code = "unavailable"


class ServiceBusy(ServiceUnavailable):
    """503 with `Retry-After` (DRF sets the header from `wait`) and `retry_after` in the body."""

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.wait = retry_after_s


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _flatten(item)]
    return [str(detail)]


def _field_messages(detail: dict[str, Any]) -> dict[str, list[str]]:
    return {str(field): _flatten(value) for field, value in detail.items()}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, Any]
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        fields = _field_messages(exc.detail)
        first_field, messages = next(iter(fields.items()))
        prefix = "" if first_field == "non_field_errors" else f"{first_field}: "
        body = {"error": f"{prefix}{messages[0]}", "fields": fields}
    elif isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait) if exc.wait is not None else None
        when = f"in {wait} s" if wait is not None else "later"
        body = {"error": f"Too many requests; try again {when}.", "retry_after": wait}
    else:
        body = {"error": " ".join(_flatten(getattr(exc, "detail", str(exc))))}
        if isinstance(exc, ServiceBusy):
            body["retry_after"] = exc.wait
    response.data = body
    return response

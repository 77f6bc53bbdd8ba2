"""One error shape for the whole API: `{"error": "<one readable line>", "fields": {...}}`.

`error` is always present and says what to do; `fields` maps a request field to its messages when
the problem is one of validation. Throttled requests, and requests a busy worker turns away
(503), also carry `retry_after` (seconds) and a `Retry-After` header.

DRF's views answer through `exception_handler`. Errors Django meets before or around DRF (a Host
it does not serve, a body too large, too many form fields, a page that does not exist) go through
`ApiErrorMiddleware`, so every path under /api answers in the same shape.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

# The generation API and the legacy route (/apiUS) both start with this.
API_PATH_PREFIX = "/api"
# What a 503 for a database that is down or restarting asks the client to wait.
DATABASE_RETRY_AFTER_S = 10


# SQLite reports a missing table or column (the migrations not run) as an OperationalError
# too; that is the site's own fault, not an outage, and stays a 500 (PostgreSQL raises a
# ProgrammingError there).
_SCHEMA_ERRORS = ("no such table", "no such column")


def database_unreachable(error: BaseException | None) -> bool:
    """Whether `error` says the database is down or restarting (the client can only come back
    later): what the API and the site's pages answer with a 503 instead of a 500."""
    if not isinstance(error, DatabaseOperationalError | DatabaseInterfaceError):
        return False
    return not any(schema_error in str(error) for schema_error in _SCHEMA_ERRORS)


class ServiceUnavailable(exceptions.APIException):
    """503 with `Retry-After` (DRF's handler sends `wait` as that header) and `retry_after`."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is busy; try again in a moment."
    default_code = "unavailable"

    def __init__(self, detail: str | None = None, *, retry_after_s: int = 5) -> None:
        super().__init__(detail)
        self.wait = retry_after_s


def _text(value: Any) -> str:
    """A message or field name that can be sent as UTF-8 whatever the client sent (a lone
    surrogate in a field name is echoed as its escape, not turned into a 500)."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _flatten(item)]
    return [_text(detail)]


def _field_messages(detail: dict[str, Any]) -> dict[str, list[str]]:
    return {_text(field): _flatten(value) for field, value in detail.items()}


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
    elif isinstance(exc, ServiceUnavailable):
        body = {"error": _text(exc.detail), "retry_after": exc.wait}
    else:
        body = {"error": " ".join(_flatten(getattr(exc, "detail", str(exc))))}
    response.data = body
    return response


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIX)


def error_response(
    status_code: int, message: str, *, retry_after_s: int | None = None
) -> JsonResponse:
    """The one error shape; with `retry_after_s`, its `retry_after` and a Retry-After header."""
    if retry_after_s is None:
        return JsonResponse({"error": message}, status=status_code)
    response = JsonResponse({"error": message, "retry_after": retry_after_s}, status=status_code)
    response["Retry-After"] = str(retry_after_s)
    return response


# What a client can do about an error Django answered without saying more.
_GENERIC_MESSAGES = {
    400: "The request could not be read; check its headers and body.",
    403: "Forbidden; sign in or send the CSRF token.",
    404: "There is no such API endpoint; see /api/docs/.",
    405: "This method is not allowed here.",
    413: "The body is too large.",
    500: "Internal error; it has been logged. Try again or report it.",
}
# Headers that still hold after the body is replaced.
_KEPT_HEADERS = ("Allow", "Retry-After", "Vary")


def _caused_by_timeout(exception: BaseException | None) -> bool:
    """Django wraps a socket's time-out in UnreadablePostError, sometimes twice."""
    while exception is not None:
        if isinstance(exception, TimeoutError):
            return True
        exception = exception.__cause__
    return False


def _stop_reading(request: HttpRequest) -> None:
    connection = request.META.get("gunicorn.socket")
    if connection is None:
        return
    with contextlib.suppress(OSError):  # already gone
        connection.shutdown(socket.SHUT_RD)


class ApiErrorMiddleware:
    """Answers every error under /api in the one JSON shape, and refuses before reading it a
    body larger than `RAPLYRICS_API_MAX_BODY_BYTES` or a Host this site does not serve.

    First in MIDDLEWARE, so it also sees what the other middleware answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path):
            return self.get_response(request)
        refused = self._refuse_early(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return self._in_shape(response)
        return response

    def _refuse_early(self, request: HttpRequest) -> JsonResponse | None:
        try:
            request.get_host()
        except DisallowedHost:
            return error_response(400, "The Host header names a site this server does not serve.")
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            return error_response(400, "Content-Length is not a number.")
        limit = int(settings.API_MAX_BODY_BYTES)
        if length > limit:
            return error_response(413, f"The body is {length} bytes; the limit is {limit}.")
        return None

    def _in_shape(self, response: HttpResponse) -> JsonResponse:
        code = response.status_code
        message = _GENERIC_MESSAGES.get(code) or f"{HTTPStatus(code).phrase}."
        shaped = error_response(code, message)
        for header in _KEPT_HEADERS:
            if header in response:
                shaped[header] = response[header]
        return shaped

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Errors Django raises while DRF reads the body (they are not DRF's to handle)."""
        if not is_api_path(request.path):
            return None
        if isinstance(exception, RequestDataTooBig):
            return error_response(413, "The body is too large.")
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            return error_response(
                400,
                f"The form has too many fields; the limit is "
                f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}.",
            )
        if isinstance(exception, SuspiciousOperation):
            return error_response(400, "The request could not be read; check its headers and body.")
        if isinstance(exception, UnreadablePostError | TimeoutError):
            # The rest of the body will never be read: gunicorn must not keep the connection
            # (and a thread) waiting to skip it for the next request. Its read side ends here.
            _stop_reading(request)
            if _caused_by_timeout(exception):  # gunicorn.conf.py bounds each read of the body
                return error_response(408, "The body did not arrive in time.")
            return error_response(400, "The body could not be read to its end.")
        if isinstance(exception, UnicodeError):
            return error_response(400, "The body is not valid UTF-8.")
        if database_unreachable(exception):
            logger.error("database unavailable for %s", request.path, exc_info=exception)
            return error_response(
                503,
                "The database cannot be reached right now; try again in a moment.",
                retry_after_s=DATABASE_RETRY_AFTER_S,
            )
        return None  # Django logs it and answers 500; __call__ gives that the shape.

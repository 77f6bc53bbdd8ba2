"""What /api/schema/ and /api/docs/ say about errors and sign-in, in one place.

Every /api answer that is not a success has one shape (raplyrics/api_errors.py):
`{"error": "<what to fix>", "fields": {...}, "retry_after": N}`. `ApiAutoSchema` (the project's
DEFAULT_SCHEMA_CLASS) documents it on every operation, from what the view is:

- a request body → 400 (bad input) and 413 (a body over RAPLYRICS_API_MAX_BODY_BYTES);
- a throttle → 429 with `Retry-After`;
- a permission beyond AllowAny → 403, and the session sign-in as its security requirement;
- a path parameter → 404.

What only the view knows (503 while the server is busy, 403 for staff-only options) it declares
with `error_responses(...)` in its `extend_schema(responses=...)`. An open endpoint (AllowAny)
documents no security requirement, so the docs show no "Authorize" lock for the open API.
Examples are real answers, never the generated `additionalProp1`.
tests/api/test_schema.py walks the generated schema and holds every operation to this.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers

ERROR_COMPONENT = "ErrorResponse"


class ErrorResponse(serializers.Serializer[Any]):
    """The one error shape of the API."""

    error = serializers.CharField(help_text="One readable line: what went wrong, what to do.")
    # The answer's key. DRF's metaclass moves declared fields out of the class, so this does not
    # replace Serializer.fields; only the type checker sees the two names meet.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For invalid input: each request field with its messages.",
    )
    retry_after = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="For 429 and 503: seconds to wait before trying again (also Retry-After).",
    )

    class Meta:
        ref_name = ERROR_COMPONENT


# What each error answer means, and a real body of it (what the API answered in the tests).
ERROR_ANSWERS: dict[int, tuple[str, dict[str, Any]]] = {
    400: (
        "Invalid input: `error` names the first problem, `fields` every field's messages.",
        {
            "error": "lines: Ensure this value is less than or equal to 16.",
            "fields": {"lines": ["Ensure this value is less than or equal to 16."]},
        },
    ),
    403: (
        "Not allowed: sign in as staff (the admin's session) for this.",
        {"error": "Authentication credentials were not provided."},
    ),
    404: ("No such object.", {"error": "Not found."}),
    413: ("The body is too large.", {"error": "The body is 70000 bytes; the limit is 65536."}),
    429: (
        "Too many requests from this client; wait `retry_after` seconds (also Retry-After).",
        {"error": "Too many requests; try again in 12 s.", "retry_after": 12},
    ),
    503: (
        "The server is too busy to start the request in time, or the writing passed the "
        "time limit; try again after `retry_after` seconds (also Retry-After).",
        {
            "error": "the server is busy and could not start your request in time; "
            "try again shortly",
            "retry_after": 2,
        },
    ),
}
RETRY_AFTER_CODES = (429, 503)


def error_response(
    code: int, *, description: str | None = None, example: dict[str, Any] | None = None
) -> OpenApiResponse:
    """The error shape for one status code, with its meaning and a real example."""
    default_description, default_example = ERROR_ANSWERS[code]
    return OpenApiResponse(
        response=ErrorResponse,
        description=description or default_description,
        examples=[
            OpenApiExample(
                f"{code} {HTTPStatus(code).phrase.lower()}",
                value=example or default_example,
                status_codes=[str(code)],
            )
        ],
    )


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """`extend_schema(responses={200: ..., **error_responses(503)})`."""
    return {code: error_response(code) for code in codes}


def is_open(view: Any) -> bool:
    """Anyone may call it: every permission of the view is AllowAny."""
    return all(isinstance(p, permissions.AllowAny) for p in view.get_permissions())


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the error answers and sign-in the view implies."""

    def derived_error_codes(self) -> list[int]:
        codes = []
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            codes += [400, 413]
        if not is_open(self.view):
            codes.append(403)
        if re.search(r"{[^}]+}", self.path):
            codes.append(404)
        if self.view.get_throttles():
            codes.append(429)
        return codes

    def get_auth(self) -> list[dict[str, Any]]:
        # An open endpoint needs no sign-in: no requirement, and no "Authorize" lock in the docs.
        return [] if is_open(self.view) else super().get_auth()

    def get_override_parameters(self) -> list[Any]:
        return [
            *super().get_override_parameters(),
            OpenApiParameter(
                name="Retry-After",
                type=int,
                location=OpenApiParameter.HEADER,
                response=list(RETRY_AFTER_CODES),
                description="Seconds to wait before trying again.",
            ),
        ]

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self.derived_error_codes():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    error_response(code), str(code)
                )
        return dict(sorted(responses.items()))

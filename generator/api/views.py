"""The generation API: thin views over generator.generation and generator.selectors."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
from collections.abc import Generator, Iterator
from dataclasses import asdict
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from generator import admission, generation, limits, selectors
from generator.api import examples
from generator.api.parsers import BoundedJSONParser
from generator.api.schema import error_response, error_responses
from generator.api.serializers import (
    GenerateInput,
    GenerateOutput,
    LegacyInput,
    LegacyOutput,
    ModelListOutput,
)
from generator.api.throttling import GenerateRateThrottle
from generator.ml.lyrics_writer import LyricsRequest
from raplyrics.api_errors import ServiceUnavailable

logger = logging.getLogger(__name__)

DEBUG_IS_FOR_STAFF = error_response(
    403,
    description="debug=true without a staff sign-in.",
    example={"error": "debug=true is for signed-in staff only"},
)


def _run(
    request: Request, params: LyricsRequest, *, version_id: int | None, debug: bool = False
) -> generation.GeneratedLyrics:
    arrival = admission.arrival_of(request._request)
    deadline = arrival.deadline(generation.time_limit_s())
    try:
        with admission.generation_slot(deadline=deadline, units=params.lines * params.candidates):
            return generation.generate_lyrics(
                params=params, debug=debug, version_id=version_id, arrival=arrival
            )
    except (admission.Overloaded, generation.GenerationError) as error:
        if isinstance(error, generation.GenerationTimeout) and deadline.client_gone():
            logger.info("the client went away; its generation stopped early")
        raise api_error_for(error) from None


def api_error_for(
    error: admission.Overloaded | generation.GenerationError,
) -> exceptions.APIException:
    """What the API answers for a generation that could not start or finish."""
    if isinstance(error, generation.UnknownModel):
        return exceptions.ValidationError({"model": [str(error)]})
    if isinstance(error, (admission.Overloaded, generation.GenerationBusy)):
        return ServiceUnavailable(str(error), retry_after_s=error.retry_after_s)
    return ServiceUnavailable(str(error))


def _debug_allowed(values: dict[str, Any], request: Request) -> bool:
    if values["debug"] and not request.user.is_staff:
        # The audit trail shows every rejected candidate, including any that recite training
        # lines: for staff who curate the corpus, not for the public.
        raise exceptions.PermissionDenied("debug=true is for signed-in staff only")
    return bool(values["debug"])


def _body(result: generation.GeneratedLyrics, *, debug: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lyrics": result.lyrics,
        "lines": list(result.lines),
        "model": {"id": result.model_id, "name": result.model_name},
        "seed": result.seed,
        "elapsed_ms": result.elapsed_ms,
        "prefix_notes": list(result.prefix_notes),
        "syllables": list(result.syllables),
        "takes": [[asdict(take) for take in line_takes] for line_takes in result.takes],
    }
    if debug:
        body["candidates"] = result.candidates
    return body


class GenerateView(APIView):
    throttle_classes = [GenerateRateThrottle]
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=GenerateInput,
        responses={200: GenerateOutput, 403: DEBUG_IS_FOR_STAFF, **error_responses(503)},
        examples=[examples.GENERATE_REQUEST, examples.GENERATE_ANSWER],
        operation_id="generate",
    )
    def post(self, request: Request) -> Response:
        data = GenerateInput(data=request.data)
        data.is_valid(raise_exception=True)
        debug = _debug_allowed(data.validated_data, request)
        result = _run(
            request, data.to_request(), version_id=data.validated_data.get("model"), debug=debug
        )
        return Response(_body(result, debug=debug))


class GenerateStreamView(APIView):
    """The same request as /api/generate, answered line by line as newline-delimited JSON.

    Each line of the body is one JSON object: `{"lines": [...]}` (the verse so far) each time a
    line is chosen, then `{"done": <the /api/generate body>}`, or `{"error": "...", "status":
    503}` if the writing fails midway. Refusals before the writing starts (bad input, unknown
    model, throttling) are the usual 4xx/5xx JSON in the one error shape. A client that goes
    away stops the writing.
    """

    throttle_classes = [GenerateRateThrottle]
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=GenerateInput,
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, examples=[examples.GENERATE_STREAM_ANSWER]
            ),
            403: DEBUG_IS_FOR_STAFF,
            **error_responses(503),
        },
        examples=[examples.GENERATE_REQUEST],
        operation_id="generate_stream",
    )
    def post(self, request: Request) -> StreamingHttpResponse:
        data = GenerateInput(data=request.data)
        data.is_valid(raise_exception=True)
        debug = _debug_allowed(data.validated_data, request)
        params = data.to_request()
        arrival = admission.arrival_of(request._request)
        # The generation slot is held until the stream ends or its reader goes away.
        slot = contextlib.ExitStack()
        try:
            slot.enter_context(
                admission.generation_slot(
                    deadline=arrival.deadline(generation.time_limit_s()),
                    units=params.lines * params.candidates,
                )
            )
        except admission.Overloaded as error:
            raise api_error_for(error) from None
        try:
            events = generation.stream_lyrics(
                params=params,
                debug=debug,
                version_id=data.validated_data.get("model"),
                arrival=arrival,
            )
            first = next(events)
        except generation.GenerationError as error:
            slot.close()
            raise api_error_for(error) from None
        if first[0] == "error":
            events.close()
            slot.close()
            raise api_error_for(first[1])
        response = StreamingHttpResponse(
            _NdjsonStream(_ndjson(first, events, debug=debug), events, slot),
            content_type="application/x-ndjson",
        )
        # Proxies and browsers must pass each line on as it comes, never hold the body back.
        response["Cache-Control"] = "no-cache, no-transform"
        response["X-Accel-Buffering"] = "no"
        return response


class _NdjsonStream:
    """The body's chunks; closing it (the server does, read to the end or not) stops the
    writing and frees the generation slot, even when no chunk was ever asked for."""

    def __init__(
        self,
        chunks: Generator[bytes, None, None],
        events: Generator[tuple[str, Any], None, None],
        slot: contextlib.ExitStack,
    ) -> None:
        self.chunks, self.events, self.slot = chunks, events, slot

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    def close(self) -> None:
        self.chunks.close()
        self.events.close()
        self.slot.close()


def _ndjson(
    first: tuple[str, Any], events: Iterator[tuple[str, Any]], *, debug: bool
) -> Generator[bytes, None, None]:
    try:
        for kind, value in itertools.chain([first], events):
            if kind == "lines":
                event: dict[str, Any] = {"lines": list(value)}
            elif kind == "done":
                event = {"done": _body(value, debug=debug)}
            else:
                event = {"error": str(value), "status": 503}
            yield json.dumps(event).encode() + b"\n"
    finally:
        events.close()  # the client went away (the server closed us): stop the writing


@method_decorator(csrf_exempt, name="dispatch")
class LegacyGenerateView(APIView):
    """The original project's contract: form field `input` in, `{"output": "..."}` out."""

    throttle_classes = [GenerateRateThrottle]
    parser_classes = [FormParser, MultiPartParser, BoundedJSONParser]
    authentication_classes: list[type] = []

    @extend_schema(
        request=LegacyInput,
        responses={200: LegacyOutput, **error_responses(503)},
        examples=[examples.LEGACY_REQUEST, examples.LEGACY_ANSWER],
        operation_id="legacy_generate",
    )
    def post(self, request: Request) -> Response:
        data = LegacyInput(data=request.data)
        data.is_valid(raise_exception=True)
        params = LyricsRequest(
            prefix=data.validated_data["input"], max_line_chars=limits.LINE_MAX_CHARS
        )
        result = _run(request, params, version_id=None)
        return Response({"output": result.lyrics})


class ModelListView(APIView):
    @extend_schema(
        responses={200: ModelListOutput}, examples=[examples.MODELS_ANSWER], operation_id="models"
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.model_list())

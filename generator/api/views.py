"""The generation API: thin views over generator.generation and generator.selectors."""

from __future__ import annotations

from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from generator import generation, selectors
from generator.api.serializers import (
    GenerateInput,
    GenerateOutput,
    LegacyInput,
    LegacyOutput,
    ModelListOutput,
)
from generator.api.throttling import GenerateRateThrottle
from raplyrics.api_errors import ServiceBusy, ServiceUnavailable


def _run(params: generation.LyricsParams, *, version_id: int | None) -> generation.LyricsResult:
    try:
        return generation.generate_lyrics(params=params, version_id=version_id)
    except generation.UnknownModel as error:
        raise exceptions.ValidationError({"model": [str(error)]}) from None
    except generation.GenerationTimeout as error:
        raise ServiceUnavailable(str(error)) from None
    except generation.GenerationBusy as error:
        raise ServiceBusy(str(error), retry_after_s=error.retry_after_s) from None
    except generation.GenerationUnavailable as error:
        raise ServiceUnavailable(str(error)) from None


class GenerateView(APIView):
    throttle_classes = [GenerateRateThrottle]
    parser_classes = [JSONParser]

    @extend_schema(request=GenerateInput, responses={200: GenerateOutput}, operation_id="generate")
    def post(self, request: Request) -> Response:
        data = GenerateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        params = generation.LyricsParams(
            prefix=values["prefix"],
            lines=values["lines"],
            temperatures=values["temperature"],
            top_k=values["top_k"] or None,
            top_p=values["top_p"] if values["top_p"] < 1.0 else None,
            candidates=values["candidates"],
            seed=values.get("seed"),
            debug=values["debug"],
        )
        result = _run(params, version_id=values.get("model"))
        body = {
            "lyrics": result.lyrics,
            "lines": list(result.lines),
            "model": {"id": result.model_id, "name": result.model_name},
            "seed": result.seed,
            "elapsed_ms": result.elapsed_ms,
            "prefix_notes": list(result.prefix_notes),
        }
        if params.debug:
            body["candidates"] = result.candidates
        return Response(body)


@method_decorator(csrf_exempt, name="dispatch")
class LegacyGenerateView(APIView):
    """The original project's contract: form field `input` in, `{"output": "..."}` out."""

    throttle_classes = [GenerateRateThrottle]
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    authentication_classes: list[type] = []

    @extend_schema(
        request=LegacyInput, responses={200: LegacyOutput}, operation_id="legacy_generate"
    )
    def post(self, request: Request) -> Response:
        data = LegacyInput(data=request.data)
        data.is_valid(raise_exception=True)
        params = generation.LyricsParams(prefix=data.validated_data["input"])
        result = _run(params, version_id=None)
        return Response({"output": result.lyrics})


class ModelListView(APIView):
    @extend_schema(responses={200: ModelListOutput}, operation_id="models")
    def get(self, request: Request) -> Response:
        return Response(selectors.model_list())

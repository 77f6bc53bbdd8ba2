"""The co-writing API: thin views over generator.cowriting (the moves) and generator.drafts
(save and fetch a verse). Each move takes a generation slot and counts against the same
per-client quota as /api/generate."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from generator import admission, cowriting, drafts, generation
from generator.api import examples
from generator.api.cowrite_serializers import (
    ContinueInput,
    CowriteInput,
    CowriteOutput,
    DraftInput,
    DraftOutput,
    RewriteInput,
    RewriteLineInput,
)
from generator.api.parsers import BoundedJSONParser
from generator.api.schema import error_responses
from generator.api.throttling import GenerateRateThrottle
from generator.api.views import api_error_for
from generator.models import Draft


def _answer(answer: cowriting.CowriteAnswer) -> dict[str, Any]:
    result = answer.result
    return {
        "lines": [
            {
                "text": line.text,
                "syllables": line.syllables,
                "locked": line.locked,
                "by_person": line.by_person,
                "written": line.written,
                "takes": [asdict(take) for take in line.takes],
            }
            for line in result.lines
        ],
        "lyrics": result.lyrics,
        "model": {"id": answer.model_id, "name": answer.model_name},
        "seed": result.seed,
        "notes": list(result.notes),
        "elapsed_ms": answer.elapsed_ms,
    }


class _MoveView(APIView):
    throttle_classes = [GenerateRateThrottle]
    parser_classes = [BoundedJSONParser]
    input_class: type[CowriteInput] = RewriteInput

    def post(self, request: Request) -> Response:
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        move = data.to_move()
        arrival = admission.arrival_of(request._request)
        deadline = arrival.deadline(generation.time_limit_s())
        try:
            with admission.generation_slot(deadline=deadline, units=move.units):
                answer = cowriting.cowrite(
                    move=move, version_id=data.validated_data.get("model"), arrival=arrival
                )
        except cowriting.MoveRefused as error:
            raise exceptions.ValidationError({"lines": [str(error)]}) from None
        except (admission.Overloaded, generation.GenerationError) as error:
            raise api_error_for(error) from None
        return Response(_answer(answer))


_MOVE_RESPONSES = {200: CowriteOutput, **error_responses(503)}


class RewriteView(_MoveView):
    """Rewrite every unlocked line of the verse; locked lines stay verbatim."""

    input_class = RewriteInput

    @extend_schema(
        request=RewriteInput,
        responses=_MOVE_RESPONSES,
        examples=[examples.COWRITE_REWRITE_REQUEST, examples.COWRITE_ANSWER],
        operation_id="cowrite_rewrite",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class RewriteLineView(_MoveView):
    """Rewrite one line given the lines around it (its rhyme partner, repetition)."""

    input_class = RewriteLineInput

    @extend_schema(
        request=RewriteLineInput,
        responses=_MOVE_RESPONSES,
        examples=[examples.COWRITE_LINE_REQUEST, examples.COWRITE_ANSWER],
        operation_id="cowrite_line",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class ContinueView(_MoveView):
    """Add lines at the end of the verse (after a person's own line, say)."""

    input_class = ContinueInput

    @extend_schema(
        request=ContinueInput,
        responses=_MOVE_RESPONSES,
        examples=[examples.COWRITE_CONTINUE_REQUEST, examples.COWRITE_ANSWER],
        operation_id="cowrite_continue",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


# -- drafts --------------------------------------------------------------------------------------


def draft_body(draft: Draft) -> dict[str, Any]:
    """A saved draft as the API and the permalink page show it."""
    return {
        "id": draft.key,
        "url": reverse("draft-page", args=[draft.key]),
        "lines": draft.lines,
        "lyrics": draft.lyrics,
        "model": {"id": draft.model_version_id, "name": draft.model_name},
        "model_active": drafts.model_still_served(draft),
        "seed": draft.seed,
        "settings": draft.settings,
        "created_at": draft.created_at,
        "expires_at": None if draft.starred else draft.expires_at,
    }


class DraftListView(APIView):
    parser_classes = [BoundedJSONParser]
    throttle_classes = [GenerateRateThrottle]

    @extend_schema(
        request=DraftInput,
        responses={201: DraftOutput},
        examples=[examples.DRAFT_REQUEST, examples.DRAFT_SAVED],
        operation_id="draft_save",
        description="Save a verse: it gets a permalink. An anonymous visitor's draft expires "
        "after RAPLYRICS_DRAFT_EXPIRY_DAYS days unless staff star it.",
    )
    def post(self, request: Request) -> Response:
        data = DraftInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            draft = drafts.save_draft(
                lines=data.saved_lines(),
                model_version_id=data.validated_data.get("model"),
                seed=data.validated_data.get("seed"),
                shape=data.shape(),
                owner=request.user,
            )
        except drafts.DraftError as error:
            raise exceptions.ValidationError({"model": [str(error)]}) from None
        return Response(draft_body(draft), status=status.HTTP_201_CREATED)


class DraftDetailView(APIView):
    @extend_schema(
        responses={200: DraftOutput},
        examples=[examples.DRAFT_FETCHED],
        operation_id="draft_fetch",
        description="A saved draft; 404 when it does not exist or has expired.",
    )
    def get(self, request: Request, key: str) -> Response:
        try:
            draft = drafts.live_draft(key)
        except drafts.DraftNotFound as error:
            raise exceptions.NotFound(str(error)) from None
        return Response(draft_body(draft))

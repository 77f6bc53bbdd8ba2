"""One source of request limits (the model core's constants) and one typed request on the way
from the API to the writer (issue 13, item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from generator import limits
from generator.api.serializers import GenerateInput
from generator.ml import cowrite, lyrics_writer, streams, syllables
from generator.ml.syllables import SyllableRange


def test_the_apis_bounds_are_the_model_cores_constants() -> None:
    fields = GenerateInput().fields
    assert fields["lines"].max_value == lyrics_writer.MAX_LINES == limits.LINES_MAX
    assert fields["candidates"].max_value == lyrics_writer.MAX_CANDIDATES
    assert fields["candidates"].default == lyrics_writer.DEFAULT_CANDIDATES
    assert tuple(fields["rhyme_scheme"].choices) == lyrics_writer.RHYME_SCHEMES
    assert fields["temperature"].default == lyrics_writer.DEFAULT_TEMPERATURES
    assert limits.TEMPERATURES_MAX_COUNT == streams.MAX_TEMPERATURES
    assert limits.LINE_MAX_CHARS == lyrics_writer.DEFAULT_MAX_LINE_CHARS
    assert limits.SYLLABLES_MAX == syllables.MAX_SYLLABLES
    assert (limits.TEMPERATURE_MIN, limits.TEMPERATURE_MAX) == (
        cowrite.TEMPERATURE_SAFE,
        cowrite.TEMPERATURE_WILD,
    )


@pytest.mark.django_db
def test_the_validated_request_reaches_the_writer_as_one_typed_object(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[lyrics_writer.LyricsRequest] = []
    real = lyrics_writer.write_request

    def spy(sampler: Any, request: lyrics_writer.LyricsRequest, **aids: Any) -> Any:
        seen.append(request)
        return real(sampler, request, **aids)

    monkeypatch.setattr(lyrics_writer, "write_request", spy)
    body = {
        "prefix": "Late",
        "lines": 1,
        "candidates": 1,
        "temperature": 0.4,
        "top_k": 5,
        "rhyme_scheme": "free",
        "syllables": {"min": 5, "max": 9},
        "seed": 11,
    }
    response = client.post("/api/generate", body, content_type="application/json")

    assert response.status_code == 200, response.content
    assert seen == [
        lyrics_writer.LyricsRequest(
            prefix="Late",
            lines=1,
            temperature=(0.4,),
            top_k=5,
            top_p=None,
            candidates=1,
            rhyme_scheme="free",
            syllables=SyllableRange(5, 9),
            seed=11,
            max_line_chars=limits.LINE_MAX_CHARS,
        )
    ]

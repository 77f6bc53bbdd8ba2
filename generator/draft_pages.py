"""The permalink pages of saved drafts: the verse and how it was made, and the verse as text.

A draft that does not exist or has expired is a 404 page (generator.drafts.live_draft).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from generator import drafts
from generator.models import Draft
from generator.serving import PRETRAINED_NAME


def _live(key: str) -> Draft:
    try:
        return drafts.live_draft(key)
    except drafts.DraftNotFound:
        raise Http404("There is no such verse; it may have expired.") from None


def _how_made(draft: Draft) -> list[dict[str, object]]:
    """Each line with who wrote it and which take was kept, for the page."""
    rows = []
    for number, line in enumerate(draft.lines, start=1):
        takes = line.get("takes") or []
        picked = line.get("picked")
        if line.get("by_person"):
            made = "written by a person"
        elif picked is None or not takes:
            made = "written by the model"
        elif picked == 0:
            made = f"the model's first take of {len(takes)}"
        else:
            made = f"take {picked + 1} of {len(takes)}, picked over the model's first"
        rows.append(
            {
                "number": number,
                "text": line.get("text", ""),
                "syllables": line.get("syllables"),
                "by_person": bool(line.get("by_person")),
                "made": made,
            }
        )
    return rows


@require_GET
def draft_page(request: HttpRequest, key: str) -> HttpResponse:
    draft = _live(key)
    version = draft.model_version
    return render(
        request,
        "draft.html",
        {
            "draft": draft,
            "rows": _how_made(draft),
            "model_retired": not drafts.model_still_served(draft),
            "model_deleted": version is None and draft.model_name != PRETRAINED_NAME,
        },
    )


@require_GET
def draft_text(request: HttpRequest, key: str) -> HttpResponse:
    """The verse as a text file to download."""
    draft = _live(key)
    response = HttpResponse(draft.lyrics + "\n", content_type="text/plain; charset=utf-8")
    name = slugify(str(draft))[:40] or "verse"
    response["Content-Disposition"] = f'attachment; filename="{name}.txt"'
    return response

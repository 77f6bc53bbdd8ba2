"""Site-level pages: the home page (the lyrics generator) and the health check."""

from __future__ import annotations

from statistics import median
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from generator import limits
from generator.selectors import active_model_summary
from lyrics.selectors import corpus_stats

# The about section names this many artists, then says how many more.
ARTISTS_NAMED = 12


def _form_limits() -> dict[str, Any]:
    """The request limits the API enforces, so the page's inputs show the same bounds."""
    return {
        "prefix_max_chars": limits.PREFIX_MAX_CHARS,
        "lines_min": limits.LINES_MIN,
        "lines_max": limits.LINES_MAX,
        "lines_default": limits.LINES_DEFAULT,
        "candidates_min": limits.CANDIDATES_MIN,
        "candidates_max": limits.CANDIDATES_MAX,
        "candidates_default": limits.CANDIDATES_DEFAULT,
        "temperature_min": limits.TEMPERATURE_MIN,
        "temperature_max": limits.TEMPERATURE_MAX,
        # The slider's starting point: the middle of the original project's per-line mix.
        "temperature_default": median(limits.TEMPERATURE_DEFAULT),
        "seed_max": limits.SEED_MAX,
    }


def _about() -> dict[str, Any]:
    """What the served model learned from; for the pretrained fallback, what training would read."""
    model = active_model_summary()
    corpus = model["trained_on"]
    if corpus is None and not model["pretrained"]:
        # Trained from a file rather than a recorded corpus: the template names the file.
        stats: list[tuple[str, int]] = []
        artists: list[str] = []
    elif corpus is None:
        catalogue = corpus_stats()
        stats = [
            ("Artists", catalogue["artists"]),
            ("Songs", catalogue["songs_included"]),
            ("Verses", catalogue["verses_included"]),
            ("Characters", catalogue["characters_included"]),
        ]
        artists = []
    else:
        artists = list(corpus["artists"])
        stats = [
            ("Artists", len(artists)),
            ("Verses", corpus["verses"]),
            ("Lines", corpus["lines"]),
            ("Characters", corpus["characters"]),
        ]
    return {
        "model": model,
        "stats": [(label, f"{value:,}") for label, value in stats],
        "artists_named": artists[:ARTISTS_NAMED],
        "artists_more": max(0, len(artists) - ARTISTS_NAMED),
    }


@require_GET
@ensure_csrf_cookie  # The page's script POSTs to the API with the token from this cookie.
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"limits": _form_limits(), "about": _about()})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and systemd: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

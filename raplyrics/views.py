"""Site-level pages: the home page (the lyrics generator) and the health check."""

from __future__ import annotations

import logging
import sys
from statistics import median
from typing import Any
from uuid import uuid4

from django.contrib.sessions.models import Session
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views import defaults
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from generator import limits
from generator.selectors import active_model_summary
from lyrics.selectors import corpus_stats
from raplyrics.api_errors import DATABASE_RETRY_AFTER_S, database_unreachable

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
        "rhyme_schemes": limits.RHYME_SCHEMES,
        "rhyme_scheme_default": limits.RHYME_SCHEME_DEFAULT,
        "temperature_min": limits.TEMPERATURE_MIN,
        "temperature_max": limits.TEMPERATURE_MAX,
        # The slider's starting point: the middle of the original project's per-line mix.
        "temperature_default": median(limits.TEMPERATURE_DEFAULT),
        "seed_max": limits.SEED_MAX,
        "syllables_min": limits.SYLLABLES_MIN,
        "syllables_max": limits.SYLLABLES_MAX,
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


logger = logging.getLogger(__name__)


def _database_writes() -> str | None:
    """None when the database takes a write (one row, rolled back), else why not."""
    try:
        with transaction.atomic():
            Session.objects.create(
                session_key=f"healthz-{uuid4().hex}", session_data="", expire_date=timezone.now()
            )
            transaction.set_rollback(True)
    except DatabaseError as error:
        return f"the database refuses writes: {str(error).splitlines()[0]}"
    return None


def _model_loads() -> str | None:
    """None when the served model is loaded (or loads now), else why not."""
    from generator import serving
    from generator.ml.config import MLError

    try:
        serving.served_model()
    except (serving.ModelUnavailable, MLError) as error:
        return f"the served model cannot load: {error}"
    return None


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness for load balancers and systemd: 200 only when this worker can serve a request
    end to end (the database takes writes, the served model is loaded); 503 says which fails."""
    problems = {
        name: problem
        for name, problem in (("database", _database_writes()), ("model", _model_loads()))
        if problem is not None
    }
    if problems:
        logger.warning("health check failed: %s", "; ".join(problems.values()))
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse({"status": "ok"})


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 (handler500, DEBUG off), except while the database cannot be reached (down,
    restarting): then a 503 page that says so and asks to come back, with Retry-After. Rendered
    without the request's context, which would reach for the database again (the user)."""
    if not database_unreachable(sys.exc_info()[1]):
        return defaults.server_error(request)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
    return response

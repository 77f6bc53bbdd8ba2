"""Site-level pages: the home page and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lyrics.selectors import corpus_stats


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"stats": corpus_stats()})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and systemd: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

"""The Content-Security-Policy on every response Django sends.

Apache sends the same policy in production (deploy/apache/raplyrics-https.conf.tmpl); Django
sends it too, so a page served by gunicorn alone (`make run`, a misconfigured proxy) is no less
protected. The site has no inline scripts or styles and loads nothing from other origins.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response

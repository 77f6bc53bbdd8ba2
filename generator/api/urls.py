from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from generator.api import cowrite_views, views

urlpatterns = [
    path("api/generate", views.GenerateView.as_view(), name="api-generate"),
    path("api/generate/stream", views.GenerateStreamView.as_view(), name="api-generate-stream"),
    path("api/cowrite/rewrite", cowrite_views.RewriteView.as_view(), name="api-cowrite-rewrite"),
    path("api/cowrite/line", cowrite_views.RewriteLineView.as_view(), name="api-cowrite-line"),
    path("api/cowrite/continue", cowrite_views.ContinueView.as_view(), name="api-cowrite-continue"),
    path("api/drafts", cowrite_views.DraftListView.as_view(), name="api-drafts"),
    path("api/drafts/<str:key>", cowrite_views.DraftDetailView.as_view(), name="api-draft"),
    path("apiUS", views.LegacyGenerateView.as_view(), name="api-legacy"),
    path("api/models", views.ModelListView.as_view(), name="api-models"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

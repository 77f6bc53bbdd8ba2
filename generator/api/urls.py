from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from generator.api import views

urlpatterns = [
    path("api/generate", views.GenerateView.as_view(), name="api-generate"),
    path("api/generate/stream", views.GenerateStreamView.as_view(), name="api-generate-stream"),
    path("apiUS", views.LegacyGenerateView.as_view(), name="api-legacy"),
    path("api/models", views.ModelListView.as_view(), name="api-models"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

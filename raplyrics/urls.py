from __future__ import annotations

from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path

from generator import draft_pages
from raplyrics import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("drafts/<str:key>.txt", draft_pages.draft_text, name="draft-text"),
    path("drafts/<str:key>", draft_pages.draft_page, name="draft-page"),
    path("admin/", admin.site.urls),
    path("", include("generator.api.urls")),
]
handler500 = views.server_error
# Only when DEBUG: lets `make run` (gunicorn, no Apache) serve the admin's CSS and the assets.
urlpatterns += staticfiles_urlpatterns()

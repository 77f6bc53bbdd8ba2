"""`django.contrib.admin` with the studio's site (raplyrics/studio_site.py) as `admin.site`.

Its own module: INSTALLED_APPS imports it before any model can be, and the site imports models.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class StudioAdminConfig(AdminConfig):
    default_site = "raplyrics.studio_site.StudioAdminSite"

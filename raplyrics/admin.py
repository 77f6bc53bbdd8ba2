"""Site-wide admin pieces: django-axes' sign-in records, with every action behind a permission."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class SignInAttemptAdmin(AccessAttemptAdmin):
    """Deleting an attempt unlocks its address or account; cleaning up also deletes rows, so it
    needs the delete permission (django-axes offers it to anyone who can view the list)."""

    actions = ["cleanup_expired_attempts"]

    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().cleanup_expired_attempts(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, SignInAttemptAdmin)

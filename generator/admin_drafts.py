"""Staff views of co-written drafts: filter them (model, date, starred, verdict), read each verse
and how it was made, star one (kept past its expiry) or mark it good or bad, each action behind a
permission of its own. `writers_kept_panel` is the per-version human signal (generator.drafts)
the model version's page shows beside its evaluation."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from generator.drafts import human_signal, mark_drafts, star_drafts
from generator.models import Draft, ModelVersion


def writers_kept_panel(version: ModelVersion) -> SafeString:
    """The version's human signal as an admin panel (escaped by the template)."""
    return render_to_string(
        "admin/generator/modelversion/writers_kept.html",
        {"version": version, "signal": human_signal(version)},
    )


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    list_display = [
        "first_line",
        "model_name",
        "created_at",
        "expires_at",
        "starred",
        "verdict",
        "model_line_count",
        "alternative_pick_count",
        "person_line_count",
    ]
    list_filter = ["model_version", "starred", "verdict", "created_at"]
    date_hierarchy = "created_at"
    search_fields = ["key", "model_name"]
    list_select_related = ["model_version"]
    fields = [
        "verse",
        "key",
        "model_version",
        "model_name",
        "seed",
        "settings",
        "owner",
        "created_at",
        "expires_at",
        "starred",
        "verdict",
        "marked_by",
        "marked_at",
    ]
    readonly_fields = fields
    actions = ["star", "unstar", "mark_good", "mark_bad", "clear_mark"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # drafts are saved by writers through the API

    def has_star_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("generator.star_draft")

    def has_mark_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("generator.mark_draft")

    @admin.display(description="first line")
    def first_line(self, draft: Draft) -> str:
        return str(draft)

    @admin.display(description="verse and how it was made")
    def verse(self, draft: Draft) -> SafeString:
        return render_to_string(
            "admin/generator/draft/verse.html", {"draft": draft, "lines": draft.lines}
        )

    @admin.action(description="Star (keep past expiry)", permissions=["star"])
    def star(self, request: HttpRequest, queryset: QuerySet[Draft]) -> None:
        self.message_user(request, f"{star_drafts(queryset)} draft(s) starred.")

    @admin.action(description="Unstar (let expire)", permissions=["star"])
    def unstar(self, request: HttpRequest, queryset: QuerySet[Draft]) -> None:
        self.message_user(request, f"{star_drafts(queryset, starred=False)} draft(s) unstarred.")

    @admin.action(description="Mark good", permissions=["mark"])
    def mark_good(self, request: HttpRequest, queryset: QuerySet[Draft]) -> None:
        count = mark_drafts(queryset, verdict=Draft.Verdict.GOOD, by=request.user)
        self.message_user(request, f"{count} draft(s) marked good.")

    @admin.action(description="Mark bad", permissions=["mark"])
    def mark_bad(self, request: HttpRequest, queryset: QuerySet[Draft]) -> None:
        count = mark_drafts(queryset, verdict=Draft.Verdict.BAD, by=request.user)
        self.message_user(request, f"{count} draft(s) marked bad.")

    @admin.action(description="Clear the mark", permissions=["mark"])
    def clear_mark(self, request: HttpRequest, queryset: QuerySet[Draft]) -> None:
        count = mark_drafts(queryset, verdict=Draft.Verdict.NONE, by=request.user)
        self.message_user(request, f"{count} draft(s) unmarked.")

"""Staff curation of cleaning: the rule list (reorder, enable, disable), a preview that writes
nothing, re-running cleaning, and the read-only record of built corpora."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from celery.result import EagerResult
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.text import Truncator

from common.broker import BrokerUnreachable, broker_reachable
from lyrics import services
from lyrics.admin_corpus import CorpusStudioMixin
from lyrics.background import runs_in_own_process, start_manage_command
from lyrics.cleaning.engine import RuleKind, RuleSpec
from lyrics.cleaning.errors import InvalidRule
from lyrics.cleaning.preview import RulePreview, preview_text
from lyrics.cleaning.preview_jobs import quick_preview
from lyrics.cleaning.spelling import spelling_overlaps
from lyrics.corpus_builder import default_corpora_dir
from lyrics.models import CleaningRule, Corpus, Song
from lyrics.tasks import clean_lyrics_task


class RulePreviewForm(forms.Form):
    """The fields that decide what a rule does, plus an optional text to try it on."""

    name = forms.CharField(required=False)
    kind = forms.ChoiceField(choices=CleaningRule.Kind.choices, initial=RuleKind.REGEX)
    # Not stripped: a space at either end of a pattern is part of what it matches.
    pattern = forms.CharField(strip=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))
    replacement = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 1, "cols": 80})
    )
    flags = forms.CharField(required=False, max_length=8)
    position = forms.IntegerField(min_value=0)
    sample_text = forms.CharField(
        required=False,
        strip=False,
        label="Try on this text (optional)",
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
    )

    def spec(self) -> RuleSpec:
        data = self.cleaned_data
        return RuleSpec(
            name=data["name"] or "(this rule)",
            pattern=data["pattern"],
            replacement=data["replacement"],
            flags=data["flags"],
            kind=RuleKind(data["kind"]),
        )


@admin.register(CleaningRule)
class CleaningRuleAdmin(admin.ModelAdmin):
    list_display = [
        "position",
        "name",
        "kind",
        "enabled",
        "pattern_summary",
        "replacement_summary",
        "flags",
        "duplicates",
    ]
    list_display_links = ["name"]
    list_editable = ["position", "enabled"]
    list_filter = ["enabled", "kind"]
    search_fields = ["name", "pattern", "replacement", "description"]
    list_per_page = 50
    readonly_fields = ["created_at", "updated_at"]
    fields = [
        "position",
        "name",
        "kind",
        "pattern",
        "replacement",
        "flags",
        "enabled",
        "description",
        "created_at",
        "updated_at",
    ]
    actions = ["enable_rules", "disable_rules", "renumber_positions"]

    class Media:
        css = {"all": ["css/admin-lyrics.css"]}

    @admin.display(description="pattern")
    def pattern_summary(self, rule: CleaningRule) -> str:
        return Truncator(rule.pattern).chars(60)

    @admin.display(description="duplicates")
    def duplicates(self, rule: CleaningRule) -> str:
        return "; ".join(getattr(rule, "spelling_overlaps", []))

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        overlaps = spelling_rule_overlaps()
        for rule in changelist.result_list:
            rule.spelling_overlaps = overlaps.get(rule.name, [])
        return changelist

    def save_model(self, request: HttpRequest, obj: CleaningRule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for overlap in spelling_rule_overlaps().get(obj.name, []):
            self.message_user(
                request, f"This rule duplicates another: {overlap}.", messages.WARNING
            )

    @admin.display(description="replacement")
    def replacement_summary(self, rule: CleaningRule) -> str:
        return repr(Truncator(rule.replacement).chars(30))

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "rerun/",
                self.admin_site.admin_view(self.rerun_view),
                name="lyrics_cleaningrule_rerun",
            ),
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="lyrics_cleaningrule_preview_new",
            ),
            path(
                "preview/save/",
                self.admin_site.admin_view(self.save_preview_view),
                name="lyrics_cleaningrule_save_preview",
            ),
            path(
                "<int:rule_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="lyrics_cleaningrule_preview",
            ),
        ]
        return own + super().get_urls()

    @admin.action(description="Enable selected rules", permissions=["change"])
    def enable_rules(self, request: HttpRequest, queryset: QuerySet[CleaningRule]) -> None:
        changed = queryset.filter(enabled=False).update(enabled=True)
        self.message_user(request, f"{changed} rule(s) enabled. Re-run cleaning to apply.")

    @admin.action(description="Disable selected rules", permissions=["change"])
    def disable_rules(self, request: HttpRequest, queryset: QuerySet[CleaningRule]) -> None:
        changed = queryset.filter(enabled=True).update(enabled=False)
        self.message_user(request, f"{changed} rule(s) disabled. Re-run cleaning to apply.")

    @admin.action(
        description="Renumber all rules 10, 20, 30… (keeps the order)", permissions=["change"]
    )
    def renumber_positions(self, request: HttpRequest, queryset: QuerySet[CleaningRule]) -> None:
        rules = list(CleaningRule.objects.in_order())
        for index, rule in enumerate(rules, start=1):
            rule.position = index * 10
        CleaningRule.objects.bulk_update(rules, ["position"])
        self.message_user(request, f"{len(rules)} rule(s) renumbered.")

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        """Re-running rewrites every song's verses: more than editing the rules themselves."""
        return request.user.has_perm("lyrics.rerun_cleaning")

    def preview_view(self, request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
        """Counts and samples of what the rule changes; never writes."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rule = get_object_or_404(CleaningRule, pk=rule_id) if rule_id is not None else None
        initial = _initial_for(rule)
        submitted = request.POST if request.method == "POST" else request.GET
        form = RulePreviewForm(submitted if "pattern" in submitted else initial)
        preview: RulePreview | None = None
        full_pending = False
        sample: tuple[str, str] | None = None
        if form.is_valid():
            spec = form.spec()
            position = form.cleaned_data["position"]
            try:
                preview, full_pending = quick_preview(
                    candidate=spec, position=position, rule_id=rule_id
                )
                if form.cleaned_data["sample_text"].strip():
                    sample = preview_text(
                        text=form.cleaned_data["sample_text"],
                        candidate=spec,
                        position=position,
                        rule_id=rule_id,
                    )
            except InvalidRule as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Preview: {rule}" if rule else "Preview a new rule",
            "rule": rule,
            "form": form,
            "preview": preview,
            "full_pending": full_pending,
            "can_save_rule": rule is None and self.has_add_permission(request),
            "reload_query": urlencode(form.cleaned_data) if form.is_valid() else "",
            "sample": sample,
        }
        return TemplateResponse(request, "admin/lyrics/cleaningrule/preview.html", context)

    def save_preview_view(self, request: HttpRequest) -> HttpResponse:
        """Save the values just previewed as a new, enabled rule (POST, needs add permission)."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:lyrics_cleaningrule_preview_new"))
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RulePreviewForm(request.POST)
        values = request.POST.copy()
        values.pop("csrfmiddlewaretoken", None)  # back to the preview, without the token in a URL
        back = reverse("admin:lyrics_cleaningrule_preview_new") + "?" + values.urlencode()
        if not form.is_valid():
            self.message_user(
                request, "Not saved: the preview's values are incomplete.", messages.ERROR
            )
            return HttpResponseRedirect(back)
        spec = replace(form.spec(), name=form.cleaned_data["name"])
        try:
            rule = services.add_cleaning_rule(spec=spec, position=form.cleaned_data["position"])
        except InvalidRule as error:
            self.message_user(request, f"Not saved: {error}", messages.ERROR)
            return HttpResponseRedirect(back)
        self.message_user(
            request,
            f"Rule {rule.name!r} saved and enabled at position {rule.position}. "
            "Re-run cleaning to apply it to the verses.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:lyrics_cleaningrule_change", args=[rule.pk]))

    def rerun_view(self, request: HttpRequest) -> HttpResponse:
        """Confirm, then re-run cleaning over every song in a Celery task."""
        if not self.has_rerun_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            keep_repeats = "keep_repeats" in request.POST
            if runs_in_own_process():
                # No broker: the cleaning must not run inside this request (lyrics.background).
                log_path = default_corpora_dir().parent / "clean_lyrics.log"
                command = ["clean_lyrics", *(["--keep-repeats"] if keep_repeats else [])]
                start_manage_command(command, log_path=log_path)
                self.message_user(
                    request,
                    f"Cleaning started in a process of its own (no Celery broker; log: "
                    f"{log_path}); verses update as it runs.",
                )
                return HttpResponseRedirect(reverse("admin:lyrics_cleaningrule_changelist"))
            try:
                with broker_reachable():
                    result = clean_lyrics_task.delay(dedupe_repeats=not keep_repeats)
            except BrokerUnreachable as error:
                self.message_user(request, f"Cleaning not started: {error}.", messages.ERROR)
                return HttpResponseRedirect(reverse("admin:lyrics_cleaningrule_changelist"))
            if isinstance(result, EagerResult):
                summary = result.get()
                self.message_user(
                    request,
                    f"Cleaned {summary['songs']} song(s): {summary['songs_changed']} changed, "
                    f"{summary['verses_created']} verses created, {summary['verses_updated']} "
                    f"updated, {summary['verses_deleted']} deleted.",
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request, f"Cleaning queued (task {result.id}); verses update as it runs."
                )
            return HttpResponseRedirect(reverse("admin:lyrics_cleaningrule_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Re-run cleaning",
            "song_count": Song.objects.exclude(raw_lyrics="").count(),
            "rule_count": CleaningRule.objects.enabled().count(),
        }
        return TemplateResponse(request, "admin/lyrics/cleaningrule/rerun.html", context)


def spelling_rule_overlaps() -> dict[str, list[str]]:
    """Spelling rules that list a variant or keep a spelling another rule does (one query)."""
    spelling_rules = CleaningRule.objects.filter(kind=RuleKind.SPELLING).in_order()
    return spelling_overlaps(list(spelling_rules.values_list("name", "pattern", "replacement")))


def _initial_for(rule: CleaningRule | None) -> dict[str, Any]:
    if rule is None:
        last = CleaningRule.objects.in_order().last()
        return {"kind": RuleKind.REGEX, "position": (last.position + 10) if last else 10}
    return {
        "name": rule.name,
        "kind": rule.kind,
        "pattern": rule.pattern,
        "replacement": rule.replacement,
        "flags": rule.flags,
        "position": rule.position,
    }


@admin.register(Corpus)
class CorpusAdmin(CorpusStudioMixin, admin.ModelAdmin):
    """Corpora are written by build_corpus (or the build form) only; here they are read."""

    list_display = [
        "id",
        "created_at",
        "verse_count",
        "char_count",
        "vocabulary_size",
        "augmented",
        "seed",
        "short_sha256",
        "file_path",
    ]
    list_filter = ["augmented"]
    search_fields = ["sha256", "file_path"]
    # Training actions are added by generator (generator/admin_corpus_training.py): lyrics
    # knows nothing of the app that trains on its corpora.

    def get_readonly_fields(self, request: HttpRequest, obj: Corpus | None = None) -> list[str]:
        return [field.name for field in Corpus._meta.fields]

    @admin.display(description="sha256")
    def short_sha256(self, corpus: Corpus) -> str:
        return corpus.sha256[:12]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Corpus | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Corpus | None = None) -> bool:
        # A trained model points at its corpus; the record must outlive the file's usefulness.
        return False

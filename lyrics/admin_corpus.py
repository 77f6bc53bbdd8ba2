"""What the corpus admin shows and does beyond a read-only record: build one from a form (in the
background), read the start of its text, download it, see its artists as a table and a bar
chart, and go to the training runs on it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from lyrics.corpus_builder import CorpusError
from lyrics.corpus_jobs import (
    ArtistShare,
    CorpusBuildRequest,
    artist_shares,
    corpus_text_head,
    start_corpus_build,
)
from lyrics.corpus_size import corpus_distinct_chars, small_corpus_warning
from lyrics.models import Artist, Corpus

CHART_WIDTH = 480
CHART_LABEL_WIDTH = 160
CHART_ROW = 20


class CorpusBuildForm(forms.Form):
    """`manage.py build_corpus`'s options, as the admin offers them."""

    artists = forms.ModelMultipleChoiceField(
        queryset=Artist.objects.order_by("name"),
        required=False,
        help_text="Only these artists' verses. None chosen: every artist.",
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    min_chars = forms.IntegerField(
        min_value=0, initial=0, label="Leave out verses shorter than (characters)"
    )
    augment = forms.BooleanField(
        required=False, help_text="Append a copy of the verses shuffled with the seed."
    )
    seed = forms.IntegerField(required=False, help_text="Shuffle seed for augment (default 0).")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("seed") is not None and not data.get("augment"):
            self.add_error("seed", "the seed only applies when the corpus is augmented")
        return data

    def build_request(self) -> CorpusBuildRequest:
        data = self.cleaned_data
        return CorpusBuildRequest(
            augment=data["augment"],
            seed=data["seed"],
            artist_names=tuple(artist.name for artist in data["artists"]),
            min_chars=data["min_chars"],
        )


def share_chart(shares: list[ArtistShare]) -> SafeString:
    """Horizontal bars, one per artist, as inline SVG (no script, no style attribute)."""
    if not shares:
        return mark_safe("")
    widest = max(share.share for share in shares) or 1.0
    bar_room = CHART_WIDTH - CHART_LABEL_WIDTH - 60
    rows = format_html_join(
        "",
        '<g transform="translate(0 {})"><text x="{}" y="14" class="share-label"'
        ' text-anchor="end">{}</text><rect x="{}" y="3" height="14" width="{}"'
        ' class="share-bar"><title>{}: {} of the characters</title></rect>'
        '<text x="{}" y="14" class="share-value">{}</text></g>',
        (
            (
                index * CHART_ROW,
                CHART_LABEL_WIDTH - 6,
                share.name,
                CHART_LABEL_WIDTH,
                max(1, round(share.share / widest * bar_room)),
                share.name,
                share.percent,
                CHART_LABEL_WIDTH + max(1, round(share.share / widest * bar_room)) + 6,
                share.percent,
            )
            for index, share in enumerate(shares)
        ),
    )
    height = CHART_ROW * len(shares)
    return format_html(
        '<svg class="share-chart" role="img" width="{}" height="{}" viewBox="0 0 {} {}">'
        "<title>Share of the corpus's characters per artist</title>{}</svg>",
        CHART_WIDTH,
        height,
        CHART_WIDTH,
        height,
        rows,
    )


class CorpusStudioMixin:
    """For CorpusAdmin (read-only records): building, reading and linking corpora."""

    change_list_template = "admin/lyrics/corpus/change_list.html"

    class Media:
        css = {"all": ["css/admin-lyrics.css"]}

    def get_fieldsets(self, request: HttpRequest, obj: Corpus | None = None) -> Any:
        record = [field.name for field in Corpus._meta.fields if field.name != "artist_shares"]
        return [
            (None, {"fields": record}),
            ("Artists", {"fields": ["shares"]}),
            ("Text", {"fields": ["download", "text_start"]}),
            ("Training", {"fields": ["size_advice", "training_runs"]}),
        ]

    @admin.display(description="share per artist")
    def shares(self, corpus: Corpus) -> SafeString:
        rows = artist_shares(corpus)
        table = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((s.name, f"{s.verses:,}", f"{s.chars:,}", s.percent) for s in rows),
        )
        return format_html(
            '<table class="share-table"><thead><tr><th>artist</th><th>verses</th>'
            "<th>characters</th><th>share</th></tr></thead><tbody>{}</tbody></table>{}",
            table,
            share_chart(rows),
        )

    @admin.display(description="file")
    def download(self, corpus: Corpus) -> SafeString:
        url = reverse("admin:lyrics_corpus_download", args=[corpus.pk])
        return format_html(
            '<a href="{}">Download {}</a> ({} bytes)',
            url,
            corpus.path.name,
            f"{corpus.byte_size:,}",
        )

    @admin.display(description="start of the text")
    def text_start(self, corpus: Corpus) -> SafeString | str:
        head = corpus_text_head(corpus)
        if head is None:
            return f"The file {corpus.file_path} cannot be read on this machine."
        more = "…" if len(head) < corpus.char_count else ""
        return format_html('<pre class="corpus-text">{}{}</pre>', head, more)

    @admin.display(description="big enough to train on?")
    def size_advice(self, corpus: Corpus) -> SafeString:
        warning = small_corpus_warning(corpus_distinct_chars(corpus))
        if warning is None:
            return format_html(
                "Yes: {} characters of distinct verse.", f"{corpus_distinct_chars(corpus):,}"
            )
        return format_html('<strong class="corpus-too-small">Too small: {}</strong>', warning)

    @admin.display(description="training runs")
    def training_runs(self, corpus: Corpus) -> SafeString | str:
        # By URL only: lyrics knows nothing of the generator app that trains on corpora.
        try:
            runs = reverse("admin:generator_trainingrun_changelist")
        except NoReverseMatch:
            return "No training app is installed."
        return format_html(
            '<a href="{}?corpus__id__exact={}">Training runs on this corpus</a>', runs, corpus.pk
        )

    def get_urls(self) -> list[URLPattern]:
        site = self.admin_site  # type: ignore[attr-defined]
        own = [
            path("build/", site.admin_view(self.build_view), name="lyrics_corpus_build"),
            path(
                "<int:corpus_id>/download/",
                site.admin_view(self.download_view),
                name="lyrics_corpus_download",
            ),
        ]
        return own + super().get_urls()  # type: ignore[misc]

    @staticmethod
    def can_build(request: HttpRequest) -> bool:
        return request.user.has_perm("lyrics.add_corpus")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {**(extra_context or {}), "can_build_corpus": self.can_build(request)}
        return super().changelist_view(request, extra_context=context)  # type: ignore[misc]

    def build_view(self, request: HttpRequest) -> HttpResponse:
        """The command's options in a form; the build runs in the background."""
        if not self.can_build(request):
            raise PermissionDenied
        form = CorpusBuildForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                started = start_corpus_build(form.build_request())
            except (CorpusError, OSError) as error:
                form.add_error(None, f"Not built: {error}")
            else:
                if started.corpus_id is not None:
                    self.message_user(  # type: ignore[attr-defined]
                        request,
                        f"Corpus #{started.corpus_id} built {started.where}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:lyrics_corpus_change", args=[started.corpus_id])
                    )
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    f"Corpus build started {started.where}; it appears here when written.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:lyrics_corpus_changelist"))
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": Corpus._meta,
            "title": "Build a corpus",
            "form": form,
        }
        return TemplateResponse(request, "admin/lyrics/corpus/build.html", context)

    def download_view(self, request: HttpRequest, corpus_id: int) -> FileResponse:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        corpus = get_object_or_404(Corpus, pk=corpus_id)
        try:
            handle = corpus.path.open("rb")
        except OSError:
            raise Http404(f"the file {corpus.file_path} cannot be read on this machine") from None
        return FileResponse(
            handle, as_attachment=True, filename=corpus.path.name, content_type="text/plain"
        )

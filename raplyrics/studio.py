"""The studio home's reading of the pipeline: what each stage holds (artists → songs → verses →
corpora → training runs → the served model), and the one step that moves it forward.

`pipeline_overview()` reads everything in a fixed number of queries, whatever the catalogue's
size (the home page's test counts them); `next_step()` is a plain function of that reading, so
each of its branches is tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from generator.models import ModelEvaluation, ModelVersion, TrainingRun
from generator.selectors import latest_evaluation, training_progress, with_latest_evaluation
from lyrics.models import Artist, Corpus, Song, Verse

# Running and queued runs the home lists (the runs page has the rest).
SHOWN_ACTIVE_RUNS = 5


@dataclass(frozen=True)
class ActiveRun:
    run: TrainingRun
    summary: str  # training_progress's one line: epoch, batch, windows/s, time left


@dataclass(frozen=True)
class PipelineOverview:
    artists: int
    songs: int
    songs_included: int
    songs_to_clean: int  # scraped lyrics with no verse yet
    verses_included: int
    verses_excluded: int
    corpora: int
    latest_corpus: Corpus | None
    latest_corpus_done_runs: int
    runs_by_status: dict[str, int]
    active_runs: list[ActiveRun]
    served: ModelVersion | None
    served_evaluation: ModelEvaluation | None
    waiting_version: ModelVersion | None  # trained after the served one (or none served), idle

    @property
    def verses(self) -> int:
        return self.verses_included + self.verses_excluded

    @property
    def runs(self) -> int:
        return sum(self.runs_by_status.values())


@dataclass(frozen=True)
class NextStep:
    """What to do next, in words, and the admin page (or POST) that does it."""

    title: str
    explanation: str
    button: str
    url_name: str
    url_args: tuple[Any, ...] = ()
    permission: str = ""  # what the button needs; empty: viewing is enough
    method: str = "get"  # "post": the button submits a form (activating a version)


def pipeline_overview() -> PipelineOverview:
    """Every stage's counts, the running runs and the served model, in constant queries."""
    # The aggregates' names differ from the fields': Django refuses `included=Count(.., included)`.
    songs = Song.objects.aggregate(
        total=Count("pk"),
        kept=Count("pk", filter=Q(included=True)),
        to_clean=Count(
            "pk",
            filter=~Q(raw_lyrics="") & Q(~Exists(Verse.objects.filter(song=OuterRef("pk")))),
        ),
    )
    verses = Verse.objects.aggregate(
        kept=Count("pk", filter=Q(included=True)),
        left_out=Count("pk", filter=Q(included=False)),
    )
    latest_corpus = (
        Corpus.objects.annotate(
            done_runs=Count("training_runs", filter=Q(training_runs__status="done"))
        )
        .order_by("-created_at", "-id")
        .first()
    )
    counts = {
        row["status"]: row["count"]
        for row in TrainingRun.objects.order_by().values("status").annotate(count=Count("pk"))
    }
    # In the order a run goes through them: queued, running, interrupted, failed, done.
    runs_by_status = {status: counts[status] for status in TrainingRun.Status if status in counts}
    active = TrainingRun.objects.filter(status__in=TrainingRun.ACTIVE_STATUSES).order_by(
        "created_at", "id"
    )[:SHOWN_ACTIVE_RUNS]
    served = with_latest_evaluation(
        ModelVersion.objects.filter(is_active=True).select_related("corpus")
    ).first()
    waiting = ModelVersion.objects.filter(
        is_active=False, source=ModelVersion.Source.TRAINED
    ).order_by("-created_at", "-id")
    if served is not None:
        waiting = waiting.filter(created_at__gt=served.created_at)
    return PipelineOverview(
        artists=Artist.objects.count(),
        songs=songs["total"],
        songs_included=songs["kept"],
        songs_to_clean=songs["to_clean"],
        verses_included=verses["kept"],
        verses_excluded=verses["left_out"],
        corpora=Corpus.objects.count(),
        latest_corpus=latest_corpus,
        latest_corpus_done_runs=getattr(latest_corpus, "done_runs", 0),
        runs_by_status=runs_by_status,
        active_runs=[ActiveRun(run, training_progress(run)["summary"]) for run in active],
        served=served,
        served_evaluation=latest_evaluation(served) if served is not None else None,
        waiting_version=waiting.first(),
    )


def next_step(overview: PipelineOverview) -> NextStep:
    """The first stage that is empty or behind, from the artists to the served model."""
    if overview.songs == 0:
        return NextStep(
            title="Scrape an artist",
            explanation="No songs yet. Type an artist's name, pick them among Genius' "
            "candidates and choose how many of their popular songs to fetch.",
            button="Scrape an artist by name",
            url_name="admin:lyrics_artist_scrape_by_name",
            permission="lyrics.add_artist",
        )
    if overview.verses == 0:
        return NextStep(
            title="Clean the lyrics",
            explanation=f"{overview.songs_to_clean:,} scraped songs have no verses yet. "
            "Cleaning splits them into verses and applies the cleaning rules.",
            button="Re-run cleaning",
            url_name="admin:lyrics_cleaningrule_rerun",
            permission="lyrics.rerun_cleaning",
        )
    if overview.verses_included == 0:
        return NextStep(
            title="Include some verses",
            explanation="Every verse is excluded, so a corpus would be empty.",
            button="Review the verses",
            url_name="admin:lyrics_verse_changelist",
        )
    if overview.corpora == 0:
        return NextStep(
            title="Build a corpus",
            explanation=f"{overview.verses_included:,} verses are included. A corpus is the "
            "text file a model trains on, built from them.",
            button="Build a corpus",
            url_name="admin:lyrics_corpus_build",
            permission="lyrics.add_corpus",
        )
    if overview.active_runs:
        first = overview.active_runs[0]
        return NextStep(
            title=f"Training: run #{first.run.pk}",
            explanation=f"{first.summary}. Its page shows the loss as epochs finish.",
            button=f"Follow run #{first.run.pk}",
            url_name="admin:generator_trainingrun_change",
            url_args=(first.run.pk,),
        )
    corpus = overview.latest_corpus
    if corpus is not None and overview.latest_corpus_done_runs == 0:
        return NextStep(
            title=f"Train a model on corpus #{corpus.pk}",
            explanation=f"Corpus #{corpus.pk} ({corpus.verse_count:,} verses, "
            f"{corpus.char_count:,} characters) has no finished training run.",
            button="Train with chosen options",
            url_name="admin:generator_trainingrun_start",
            url_args=(corpus.pk,),
            permission="generator.add_trainingrun",
        )
    waiting = overview.waiting_version
    if waiting is not None:
        return NextStep(
            title=f"Serve {waiting.name}",
            explanation=f"{waiting.name} finished training and is not served"
            + (f"; {overview.served.name} is." if overview.served else "; nothing trained is."),
            button=f"Activate {waiting.name}",
            url_name="admin:generator_modelversion_activate",
            url_args=(waiting.pk,),
            permission="generator.activate_modelversion",
            method="post",
        )
    served = overview.served.name if overview.served else "textgenrnn's pretrained model"
    return NextStep(
        title="Write lyrics",
        explanation=f"The pipeline is up to date: {served} is served. Scrape more artists or "
        "tune the cleaning rules to train a better one.",
        button="Open the lyrics page",
        url_name="home",
    )

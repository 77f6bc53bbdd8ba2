"""Building a corpus from the admin, in the background, and reading a built one back.

The admin's form takes `manage.py build_corpus`'s options; the build runs as the
`lyrics.build_corpus` Celery task, or without a broker as a `manage.py build_corpus` process of
its own (lyrics.background), its output in ARTIFACTS_DIR/corpora/build.log.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.broker import broker_reachable
from lyrics.background import registered_task, runs_in_own_process, start_manage_command
from lyrics.corpus_builder import CorpusError, default_corpora_dir
from lyrics.models import Corpus

PREVIEW_CHARS = 3_000
BUILD_LOG = "build.log"


@dataclass(frozen=True)
class CorpusBuildRequest:
    augment: bool = False
    seed: int | None = None
    artist_names: tuple[str, ...] = ()
    min_chars: int = 0

    def command_arguments(self) -> list[str]:
        arguments = ["build_corpus", "--min-chars", str(self.min_chars)]
        if self.augment:
            arguments.append("--augment")
            if self.seed is not None:
                arguments += ["--seed", str(self.seed)]
        for name in self.artist_names:
            arguments += ["--artist", name]
        return arguments


@dataclass(frozen=True)
class StartedBuild:
    where: str  # for the message to staff
    corpus_id: int | None = None  # known at once only when the task ran in place


def start_corpus_build(request: CorpusBuildRequest) -> StartedBuild:
    """Hand the build to the background; CorpusError (one line) when it fails in place."""
    if runs_in_own_process():
        log_path = default_corpora_dir() / BUILD_LOG
        start_manage_command(request.command_arguments(), log_path=log_path)
        return StartedBuild(where=f"in a process of its own (no Celery broker; log: {log_path})")
    with broker_reachable(CorpusError):
        result = registered_task("lyrics.build_corpus").delay(
            augment=request.augment,
            seed=request.seed if request.augment else None,
            artist_names=list(request.artist_names),
            min_chars=request.min_chars,
        )
    if result.ready():
        return StartedBuild(
            where="in this process (Celery runs tasks eagerly)", corpus_id=result.get()
        )
    return StartedBuild(where=f"on a Celery worker (task {result.id})")


def corpus_text_head(corpus: Corpus, *, chars: int = PREVIEW_CHARS) -> str | None:
    """The first `chars` characters of the corpus file; None when the file cannot be read."""
    try:
        with corpus.path.open(encoding="utf-8", errors="replace") as text:
            return text.read(chars)
    except OSError:
        return None


@dataclass(frozen=True)
class ArtistShare:
    name: str
    verses: int
    chars: int
    share: float

    @property
    def percent(self) -> str:
        return f"{self.share:.1%}"


def artist_shares(corpus: Corpus) -> list[ArtistShare]:
    """The corpus's artists, largest share first."""
    shares = [
        ArtistShare(
            name=name,
            verses=int(values.get("verses", 0)),
            chars=int(values.get("chars", 0)),
            share=float(values.get("share", 0.0)),
        )
        for name, values in (corpus.artist_shares or {}).items()
    ]
    return sorted(shares, key=lambda share: (-share.share, share.name.casefold()))

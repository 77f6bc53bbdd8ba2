"""What one rule would change across the catalogue, computed without writing anything.

The preview cleans every song with the enabled rules and the rule (as edited, at its position),
and compares the verses with those of cleaning without it. So it answers "what does this rule
do?", also for a rule that is disabled or not saved yet.

A song where the rule changed nothing in any pass is cleaned once: every pass then gives, step by
step, the text the passes without the rule give, so the verses are the same. Only the songs the
rule touches are cleaned a second time, without it.

Given a time budget, the preview stops when it is spent and says how many songs it looked at; the
songs are visited in a spread order (every 16th first), so a part covers every artist. The admin
answers with such a part at once and fills in the whole count from background work
(`lyrics.cleaning.preview_jobs`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from itertools import zip_longest

from lyrics.cleaning.engine import RuleSet, compile_rule
from lyrics.cleaning.rule_types import RuleSpec
from lyrics.cleaning.rules import OrderedSpec, compile_ordered, enabled_specs
from lyrics.cleaning.splitter import clean_song_text
from lyrics.models import Song

# Past this many songs the preview says it looked at a part (even with no time budget).
PREVIEW_SONG_LIMIT = 50_000
SAMPLE_COUNT = 5
# Songs are visited every SPREAD_STRIDE-th first, so that a part of them spans the catalogue.
SPREAD_STRIDE = 16
_CHUNK = 200
# The candidate counts its matches under a name no saved rule can have.
_CANDIDATE_NAME = "\x00candidate"


@dataclass(frozen=True)
class PreviewSample:
    song_id: int
    song: str
    before: str
    after: str


@dataclass
class RulePreview:
    rule_name: str
    songs_scanned: int = 0
    songs_changed: int = 0
    verses_before: int = 0
    verses_after: int = 0
    verses_changed: int = 0
    chars_before: int = 0
    chars_after: int = 0
    matches: int = 0
    truncated: bool = False
    songs_total: int = 0
    samples: list[PreviewSample] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """It looked at only some of the songs (a time budget ran out, or the song limit)."""
        return self.songs_scanned < self.songs_total

    @property
    def verses_lost(self) -> int:
        return max(self.verses_before - self.verses_after, 0)

    @property
    def empties_most_verses(self) -> bool:
        """The rule leaves nothing of more than half the verses: almost surely a mistake."""
        return self.verses_before > 0 and self.verses_lost * 2 > self.verses_before

    @property
    def removes_most_text(self) -> bool:
        return self.chars_before > 0 and self.chars_after * 2 < self.chars_before

    @property
    def warnings(self) -> list[str]:
        messages = []
        if self.empties_most_verses:
            messages.append(
                f"this rule empties {self.verses_lost} of {self.verses_before} verses "
                "(more than half): check the pattern before enabling it"
            )
        if self.removes_most_text:
            messages.append(
                f"this rule removes more than half of all text ({self.chars_before} → "
                f"{self.chars_after} characters)"
            )
        return messages


@dataclass(frozen=True)
class RulePair:
    """The enabled rule set without the rule, and with the candidate in its place."""

    without: RuleSet
    with_candidate: RuleSet


def rule_pair(*, candidate: RuleSpec, position: int, rule_id: int | None) -> RulePair:
    """Raises InvalidRule when the candidate (or a saved rule) does not compile."""
    compile_rule(candidate)
    others = enabled_specs(exclude_rule_id=rule_id)
    placed = OrderedSpec(position=position, rule_id=rule_id, spec=candidate)
    return RulePair(
        without=compile_ordered(others), with_candidate=compile_ordered([*others, placed])
    )


def spread_order(song_ids: list[int], stride: int = SPREAD_STRIDE) -> list[int]:
    """Every stride-th id, then the ones after those, and so on: any prefix spans them all."""
    return [song_id for offset in range(stride) for song_id in song_ids[offset::stride]]


def preview_rule(
    *,
    candidate: RuleSpec,
    position: int,
    rule_id: int | None = None,
    song_limit: int = PREVIEW_SONG_LIMIT,
    sample_count: int = SAMPLE_COUNT,
    dedupe_repeats: bool = True,
    time_budget: float | None = None,
) -> RulePreview:
    """Count the songs and verses the rule changes and collect a few before/after samples.

    With time_budget (seconds), stop once it is spent: `partial` then says a part was scanned.
    """
    started = time.monotonic()
    counted = replace(candidate, name=_CANDIDATE_NAME)
    pair = rule_pair(candidate=counted, position=position, rule_id=rule_id)
    preview = RulePreview(rule_name=candidate.name)
    song_ids = list(Song.objects.exclude(raw_lyrics="").order_by("id").values_list("id", flat=True))
    preview.songs_total = len(song_ids)
    preview.truncated = len(song_ids) > song_limit
    order = spread_order(song_ids[:song_limit])
    for chunk_start in range(0, len(order), _CHUNK):
        chunk = order[chunk_start : chunk_start + _CHUNK]
        rows = Song.objects.filter(pk__in=chunk).values_list(
            "id", "title", "artist__name", "raw_lyrics"
        )
        by_id = {row[0]: row for row in rows}
        for song_id in chunk:
            if time_budget is not None and time.monotonic() - started > time_budget:
                return preview
            _, title, artist_name, raw_lyrics = by_id[song_id]
            after = clean_song_text(raw_lyrics, pair.with_candidate, dedupe_repeats=dedupe_repeats)
            matches = after.match_counts.get(_CANDIDATE_NAME, 0)
            before = (
                clean_song_text(raw_lyrics, pair.without, dedupe_repeats=dedupe_repeats)
                if matches
                else after
            )
            preview.songs_scanned += 1
            preview.matches += matches
            _add_song(
                preview,
                song=f"{artist_name} — {title}",
                song_id=song_id,
                before_texts=[verse.text for verse in before.verses],
                after_texts=[verse.text for verse in after.verses],
                sample_count=sample_count,
            )
    return preview


def _add_song(
    preview: RulePreview,
    *,
    song: str,
    song_id: int,
    before_texts: list[str],
    after_texts: list[str],
    sample_count: int,
) -> None:
    preview.verses_before += len(before_texts)
    preview.verses_after += len(after_texts)
    preview.chars_before += sum(map(len, before_texts))
    preview.chars_after += sum(map(len, after_texts))
    if before_texts == after_texts:
        return
    preview.songs_changed += 1
    for old, new in zip_longest(before_texts, after_texts, fillvalue=""):
        if old == new:
            continue
        preview.verses_changed += 1
        if len(preview.samples) < sample_count:
            preview.samples.append(PreviewSample(song_id=song_id, song=song, before=old, after=new))


def preview_text(
    *, text: str, candidate: RuleSpec, position: int, rule_id: int | None = None
) -> tuple[str, str]:
    """A pasted text cleaned without and with the candidate rule (verses joined by a blank line)."""
    pair = rule_pair(candidate=candidate, position=position, rule_id=rule_id)
    before = clean_song_text(text, pair.without)
    after = clean_song_text(text, pair.with_candidate)
    return (
        "\n\n".join(verse.text for verse in before.verses),
        "\n\n".join(verse.text for verse in after.verses),
    )

"""What one rule would change across the catalogue, computed without writing anything.

The preview cleans every song twice with the enabled rules: once without the rule and once with it
(as edited, at its position), and compares the verses. So it answers "what does this rule do?",
also for a rule that is disabled or not saved yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import zip_longest

from lyrics.cleaning.engine import CompiledRule, RuleSpec, compile_rule
from lyrics.cleaning.rules import OrderedSpec, compile_ordered, enabled_specs
from lyrics.cleaning.splitter import clean_song_text
from lyrics.models import Song

# A preview must answer while staff wait; past this many songs it says it looked at a part.
PREVIEW_SONG_LIMIT = 5_000
SAMPLE_COUNT = 5


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
    samples: list[PreviewSample] = field(default_factory=list)

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

    without: list[CompiledRule]
    with_candidate: list[CompiledRule]


def rule_pair(*, candidate: RuleSpec, position: int, rule_id: int | None) -> RulePair:
    """Raises InvalidRule when the candidate (or a saved rule) does not compile."""
    compile_rule(candidate)
    others = enabled_specs(exclude_rule_id=rule_id)
    placed = OrderedSpec(position=position, rule_id=rule_id, spec=candidate)
    return RulePair(
        without=compile_ordered(others), with_candidate=compile_ordered([*others, placed])
    )


def preview_rule(
    *,
    candidate: RuleSpec,
    position: int,
    rule_id: int | None = None,
    song_limit: int = PREVIEW_SONG_LIMIT,
    sample_count: int = SAMPLE_COUNT,
    dedupe_repeats: bool = True,
) -> RulePreview:
    """Count the songs and verses the rule changes and collect a few before/after samples."""
    pair = rule_pair(candidate=candidate, position=position, rule_id=rule_id)
    preview = RulePreview(rule_name=candidate.name)
    songs = (
        Song.objects.exclude(raw_lyrics="")
        .order_by("id")
        .values_list("id", "title", "artist__name", "raw_lyrics")
    )
    for song_id, title, artist_name, raw_lyrics in songs[: song_limit + 1].iterator(chunk_size=200):
        if preview.songs_scanned == song_limit:
            preview.truncated = True
            break
        preview.songs_scanned += 1
        before = clean_song_text(raw_lyrics, pair.without, dedupe_repeats=dedupe_repeats)
        after = clean_song_text(raw_lyrics, pair.with_candidate, dedupe_repeats=dedupe_repeats)
        before_texts = [verse.text for verse in before.verses]
        after_texts = [verse.text for verse in after.verses]
        preview.verses_before += len(before_texts)
        preview.verses_after += len(after_texts)
        preview.chars_before += sum(map(len, before_texts))
        preview.chars_after += sum(map(len, after_texts))
        preview.matches += after.match_counts.get(candidate.name, 0)
        if before_texts == after_texts:
            continue
        preview.songs_changed += 1
        for old, new in zip_longest(before_texts, after_texts, fillvalue=""):
            if old == new:
                continue
            preview.verses_changed += 1
            if len(preview.samples) < sample_count:
                preview.samples.append(
                    PreviewSample(
                        song_id=song_id, song=f"{artist_name} — {title}", before=old, after=new
                    )
                )
    return preview


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

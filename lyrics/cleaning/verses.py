"""Rebuild a song's Verse rows from fresh cleaning, keeping what staff did to them.

A re-run matches the new verses to the existing rows by their cleaned text (difflib alignment, so a
verse that appears or disappears does not shift every verse after it). A matched row keeps its id,
its `included` flag and, when edited by hand, its text; only `cleaned_text` takes the fresh output,
so the admin can show where an edit and the fresh cleaning differ. An edited row that fresh cleaning
no longer produces is kept at the end with an empty `cleaned_text`. Running it twice with the same
rules writes nothing the second time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lyrics.cleaning.errors import CleaningError
from lyrics.cleaning.rule_types import CompiledRule
from lyrics.cleaning.rules import load_enabled_rules
from lyrics.cleaning.splitter import CleanVerse, SongCleaning, clean_song_text
from lyrics.models import Song, Verse

# Rows move out of the way here while positions are rewritten (position is unique per song).
_PARKING_OFFSET = 1_000_000
_WRITTEN_FIELDS = ["position", "section_label", "text", "cleaned_text", "char_count", "updated_at"]
# Below this similarity a changed verse counts as a different verse, not a new cleaning of it.
_MIN_SIMILARITY = 0.5


@dataclass
class PlannedVerse:
    existing: Verse | None
    position: int
    section_label: str
    text: str
    cleaned_text: str

    def changes_existing(self) -> bool:
        verse = self.existing
        return verse is None or (
            verse.position,
            verse.section_label,
            verse.text,
            verse.cleaned_text,
        ) != (self.position, self.section_label, self.text, self.cleaned_text)


@dataclass
class SongPlan:
    song_id: int
    cleaning: SongCleaning
    rows: list[PlannedVerse] = field(default_factory=list)
    deletes: list[Verse] = field(default_factory=list)

    @property
    def creates(self) -> list[PlannedVerse]:
        return [row for row in self.rows if row.existing is None]

    @property
    def updates(self) -> list[PlannedVerse]:
        return [row for row in self.rows if row.existing is not None and row.changes_existing()]

    @property
    def changed(self) -> bool:
        return bool(self.deletes) or any(row.changes_existing() for row in self.rows)

    @property
    def edits_differing(self) -> int:
        """Edited verses whose text is not what fresh cleaning would now give."""
        return sum(
            1
            for row in self.rows
            if row.existing is not None and row.existing.is_edited and row.text != row.cleaned_text
        )

    def row_for(self, verse_id: int) -> PlannedVerse | None:
        return next(
            (row for row in self.rows if row.existing is not None and row.existing.pk == verse_id),
            None,
        )


@dataclass
class CleaningSummary:
    dry_run: bool = False
    songs: int = 0
    songs_changed: int = 0
    songs_skipped: int = 0
    verses_created: int = 0
    verses_updated: int = 0
    verses_deleted: int = 0
    verses_total: int = 0
    edits_differing: int = 0
    repeats_dropped: int = 0
    unsettled_sections: int = 0
    match_counts: Counter[str] = field(default_factory=Counter)

    def add(self, plan: SongPlan) -> None:
        self.songs += 1
        self.songs_changed += plan.changed
        self.verses_created += len(plan.creates)
        self.verses_updated += len(plan.updates)
        self.verses_deleted += len(plan.deletes)
        self.verses_total += len(plan.rows)
        self.edits_differing += plan.edits_differing
        self.repeats_dropped += plan.cleaning.dropped_repeats
        self.unsettled_sections += plan.cleaning.unsettled_sections
        self.match_counts.update(plan.cleaning.match_counts)

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "songs": self.songs,
            "songs_changed": self.songs_changed,
            "songs_skipped": self.songs_skipped,
            "verses_created": self.verses_created,
            "verses_updated": self.verses_updated,
            "verses_deleted": self.verses_deleted,
            "verses_total": self.verses_total,
            "edits_differing": self.edits_differing,
            "repeats_dropped": self.repeats_dropped,
            "unsettled_sections": self.unsettled_sections,
            "match_counts": dict(self.match_counts),
        }


def _verse_key(verse: Verse) -> str:
    return verse.cleaned_text or verse.text


def _similarity(left: str, right: str) -> float:
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


def match_existing(old: Sequence[Verse], new: Sequence[CleanVerse]) -> dict[int, Verse]:
    """new verse index → the existing row that holds it."""
    pairs: dict[int, Verse] = {}
    old_keys = [_verse_key(verse) for verse in old]
    new_keys = [verse.text for verse in new]
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(old_end - old_start):
                pairs[new_start + offset] = old[old_start + offset]
        elif tag == "replace":
            # The same stanzas cleaned differently: pair each new verse with the most similar row.
            free = list(range(old_start, old_end))
            for new_index in range(new_start, new_end):
                scored = [(_similarity(old_keys[i], new_keys[new_index]), i) for i in free]
                if not scored:
                    break
                score, best = max(scored)
                if score >= _MIN_SIMILARITY:
                    pairs[new_index] = old[best]
                    free.remove(best)
    return pairs


def plan_song(
    song: Song, rules: Sequence[CompiledRule], *, dedupe_repeats: bool = True
) -> SongPlan:
    """What fresh cleaning would do to the song's verses (reads only)."""
    cleaning = clean_song_text(song.raw_lyrics, rules, dedupe_repeats=dedupe_repeats)
    old = list(Verse.objects.filter(song_id=song.pk).order_by("position"))
    pairs = match_existing(old, cleaning.verses)
    plan = SongPlan(song_id=song.pk, cleaning=cleaning)
    for index, fresh in enumerate(cleaning.verses):
        existing = pairs.get(index)
        kept_edit = existing is not None and existing.is_edited
        plan.rows.append(
            PlannedVerse(
                existing=existing,
                position=index,
                section_label=fresh.section_label,
                text=existing.text if kept_edit and existing else fresh.text,
                cleaned_text=fresh.text,
            )
        )
    matched_ids = {verse.pk for verse in pairs.values()}
    for verse in old:
        if verse.pk in matched_ids:
            continue
        if verse.is_edited:
            plan.rows.append(
                PlannedVerse(
                    existing=verse,
                    position=len(plan.rows),
                    section_label=verse.section_label,
                    text=verse.text,
                    cleaned_text="",
                )
            )
        else:
            plan.deletes.append(verse)
    return plan


@transaction.atomic
def apply_plan(plan: SongPlan) -> None:
    if not plan.changed:
        return
    Verse.objects.filter(pk__in=[verse.pk for verse in plan.deletes]).delete()
    if any(row.existing is not None for row in plan.rows):
        # Kept rows move out of the way of the new positions (a song's first cleaning has none).
        Verse.objects.filter(song_id=plan.song_id).update(position=F("position") + _PARKING_OFFSET)
    now = timezone.now()
    kept: list[Verse] = []
    created: list[Verse] = []
    for row in plan.rows:
        verse = row.existing or Verse(song_id=plan.song_id)
        verse.position = row.position
        verse.section_label = row.section_label
        verse.text = row.text
        verse.cleaned_text = row.cleaned_text
        # What Verse.save() derives, as bulk writes do not call it.
        verse.char_count = len(verse.text)
        verse.updated_at = now
        (kept if row.existing else created).append(verse)
    # Two statements a song instead of one per verse; every kept row moves back from parking.
    Verse.objects.bulk_update(kept, _WRITTEN_FIELDS)
    Verse.objects.bulk_create(created)


def clean_one_song(
    *,
    song: Song,
    rules: Sequence[CompiledRule],
    dry_run: bool = False,
    dedupe_repeats: bool = True,
) -> SongPlan:
    """Clean one song and rebuild its verses (unless dry_run); safe to repeat."""
    plan = plan_song(song, rules, dedupe_repeats=dedupe_repeats)
    if not dry_run:
        apply_plan(plan)
    return plan


def clean_lyrics(
    *,
    song_ids: Iterable[int] | None = None,
    dry_run: bool = False,
    dedupe_repeats: bool = True,
    progress: Callable[[Iterable[Song], int], Iterable[Song]] | None = None,
) -> CleaningSummary:
    """Apply the enabled rules to songs (all, or song_ids) and rebuild their verses.

    Each song is its own transaction, so an interrupted run keeps what it finished and a re-run
    picks up the rest. Songs without raw lyrics (entered by hand) are skipped, verses untouched.
    """
    rules = load_enabled_rules()
    songs = Song.objects.only("id", "raw_lyrics").order_by("id")
    if song_ids is not None:
        wanted = sorted(set(song_ids))
        songs = songs.filter(pk__in=wanted)
        missing = sorted(set(wanted) - set(songs.values_list("pk", flat=True)))
        if missing:
            raise CleaningError(f"no song with id {', '.join(map(str, missing))}")
    summary = CleaningSummary(dry_run=dry_run)
    iterable: Iterable[Song] = songs.iterator(chunk_size=200)
    if progress is not None:
        iterable = progress(iterable, songs.count())
    for song in iterable:
        if not song.raw_lyrics.strip():
            summary.songs_skipped += 1
            continue
        summary.add(
            clean_one_song(song=song, rules=rules, dry_run=dry_run, dedupe_repeats=dedupe_repeats)
        )
    return summary


def fresh_cleaning_for_verse(verse: Verse, *, dedupe_repeats: bool = True) -> str | None:
    """The text fresh cleaning with today's rules gives this verse; None when it gives none."""
    if not verse.song.raw_lyrics.strip():
        return None
    plan = plan_song(verse.song, load_enabled_rules(), dedupe_repeats=dedupe_repeats)
    row = plan.row_for(verse.pk)
    if row is None or not row.cleaned_text:
        return None
    return row.cleaned_text

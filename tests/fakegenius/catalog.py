"""The fake Genius' artists and songs. Every name and every line here is invented for the tests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class FakeArtist:
    genius_id: int
    name: str

    @property
    def slug(self) -> str:
        return "-".join(self.name.lower().replace("&", "and").split())


@dataclass(kw_only=True)
class FakeSong:
    genius_id: int
    title: str
    primary_artist_id: int
    lyrics_state: str = "complete"
    instrumental: bool = False
    release_date: str | None = "2019-04-12"
    album_name: str | None = "Northern Lines"
    # The lyrics as sections of lines; None serves a page without a lyrics container.
    sections: list[list[str]] | None = None
    # A hand-written page served instead of a rendered one (see pages/).
    page_file: str | None = None

    @property
    def page_path(self) -> str:
        return f"/songs-html/{self.genius_id}-{'-'.join(self.title.lower().split())}-lyrics"

    @property
    def expected_lyrics(self) -> str:
        """What the scraper should store for a rendered page: sections apart by a blank line."""
        assert self.sections is not None
        return "\n\n".join("\n".join(lines) for lines in self.sections)


@dataclass(kw_only=True)
class FakeCatalog:
    artists: dict[int, FakeArtist] = field(default_factory=dict)
    songs: dict[int, FakeSong] = field(default_factory=dict)
    # Each artist's listing on Genius, most popular first (featured songs included).
    listings: dict[int, list[int]] = field(default_factory=dict)

    def add_artist(self, artist: FakeArtist) -> FakeArtist:
        self.artists[artist.genius_id] = artist
        self.listings.setdefault(artist.genius_id, [])
        return artist

    def add_song(self, song: FakeSong, *, listed_for: int | None = None) -> FakeSong:
        self.songs[song.genius_id] = song
        self.listings.setdefault(song.primary_artist_id, [])
        self.listings[listed_for or song.primary_artist_id].append(song.genius_id)
        return song

    def listing(self, artist_id: int) -> list[FakeSong]:
        return [self.songs[song_id] for song_id in self.listings.get(artist_id, [])]


# --- invented lyrics -----------------------------------------------------------------------------
_SUBJECTS = ["the night bus", "my cousin", "the corner store", "a paper crown", "the harbour wind"]
_VERBS = ["keeps humming", "counts the change", "leans on the rail", "forgets the rain"]
_PLACES = ["down on Fifth", "past the depot", "under the bridge", "by the laundromat"]


def invented_sections(seed: int, *, verses: int = 2) -> list[list[str]]:
    rng = random.Random(seed)

    def line() -> str:
        return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_PLACES)}".capitalize()

    sections: list[list[str]] = []
    for number in range(1, verses + 1):
        sections.append([f"[Verse {number}]", *(line() for _ in range(4))])
        sections.append(["[Chorus]", *(line() for _ in range(2))])
    return sections


# --- the catalogue the tests share ---------------------------------------------------------------
NOVA_QUILL = FakeArtist(genius_id=101, name="Nova Quill")
UNDER_AND_OVER = FakeArtist(genius_id=202, name="Ünder & Över")
MIRROR_TWIN_A = FakeArtist(genius_id=303, name="Mirror Twin")
MIRROR_TWIN_B = FakeArtist(genius_id=304, name="MIRROR-TWIN")
GUEST_VERSE = FakeArtist(genius_id=405, name="Guest Verse")
NOVA_BRASS = FakeArtist(genius_id=506, name="Nova Brass Band")

NOVA_QUILL_SONGS = 130
# Nova Quill's listing: rank → (title, what makes the scraper skip or fail it).
NOVA_QUILL_SPECIAL: dict[int, tuple[str, str]] = {
    3: ("Paper Lanterns (Skit)", "skit"),
    5: ("Borrowed Stairs", "not-primary-artist"),
    7: ("Interlude for the Night Bus", "interlude"),
    9: ("Intro", "intro-outro"),
    11: ("Unfinished Letters", "lyrics-not-complete"),
    13: ("Copper Wire (Remix)", "remix"),
    15: ("Copper Wire (Live at the Harbour)", "live"),
    17: ("Static Hum", "instrumental"),
    19: ("Northern Lines Tracklist", "tracklist"),
    21: ("Northern Lines Credits", "credits"),
    23: ("Radio Interview, Spring", "interview"),
    25: ("Blank Canvas", "no-lyrics"),
}
UNDER_AND_OVER_NESTED_SONG_ID = 20_001


def nova_quill_song_id(rank: int) -> int:
    return 10_000 + rank


def default_catalog() -> FakeCatalog:
    catalog = FakeCatalog()
    for artist in (NOVA_QUILL, UNDER_AND_OVER, MIRROR_TWIN_A, MIRROR_TWIN_B, GUEST_VERSE):
        catalog.add_artist(artist)
    catalog.add_artist(NOVA_BRASS)

    for rank in range(1, NOVA_QUILL_SONGS + 1):
        title, special = NOVA_QUILL_SPECIAL.get(rank, (f"Quill Song {rank}", ""))
        song = FakeSong(
            genius_id=nova_quill_song_id(rank),
            title=title,
            primary_artist_id=GUEST_VERSE.genius_id
            if special == "not-primary-artist"
            else NOVA_QUILL.genius_id,
            lyrics_state="unreleased" if special == "lyrics-not-complete" else "complete",
            instrumental=special == "instrumental",
            release_date=None
            if rank % 4 == 0
            else f"20{10 + rank % 10}-0{1 + rank % 9}-1{rank % 10}",
            sections=None if special == "no-lyrics" else invented_sections(rank),
        )
        catalog.add_song(song, listed_for=NOVA_QUILL.genius_id)

    catalog.add_song(
        FakeSong(
            genius_id=UNDER_AND_OVER_NESTED_SONG_ID,
            title="Glass Elevator",
            primary_artist_id=UNDER_AND_OVER.genius_id,
            release_date="2021-11-05",
            page_file="glass_elevator.html",
        )
    )
    catalog.add_song(
        FakeSong(
            genius_id=20_002,
            title="Low Tide Receipts",
            primary_artist_id=UNDER_AND_OVER.genius_id,
            release_date=None,
            sections=invented_sections(2002, verses=1),
        )
    )
    for artist in (MIRROR_TWIN_A, MIRROR_TWIN_B, NOVA_BRASS):
        catalog.add_song(
            FakeSong(
                genius_id=artist.genius_id * 100 + 1,
                title=f"{artist.name.title()} Theme",
                primary_artist_id=artist.genius_id,
                sections=invented_sections(artist.genius_id, verses=1),
            )
        )
    return catalog

"""Song pages in the shape Genius serves them, rendered from a fake song's invented lines."""

from __future__ import annotations

from html import escape
from pathlib import Path

from tests.fakegenius.catalog import FakeArtist, FakeSong

PAGES_DIR = Path(__file__).parent / "pages"

NO_LYRICS_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><div class="LyricsPlaceholder__Message">Lyrics for this song have
yet to be transcribed.</div></main></body></html>"""


def render_song_page(song: FakeSong, artist: FakeArtist) -> str:
    if song.page_file is not None:
        return (PAGES_DIR / song.page_file).read_text(encoding="utf-8")
    if song.sections is None:
        return NO_LYRICS_PAGE.format(title=escape(song.title))
    # Like Genius: the lyrics come in two containers with furniture in and between them, split
    # where the page places an ad, here inside the middle section (between two of its lines).
    sections = song.sections
    middle = len(sections) // 2
    cut = max(1, len(sections[middle]) // 2)
    head = [*sections[:middle], sections[middle][:cut]]
    tail = [sections[middle][cut:], *sections[middle + 1 :]] if sections[middle][cut:] else []
    first = _container(head, header=f"{song.title} Lyrics", trailing_break=True)
    second = _container(tail, header=None, trailing_break=False)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{escape(artist.name)} – {escape(song.title)} Lyrics | Genius Lyrics</title></head>
<body><main><div id="lyrics-root">{first}
<div class="RightSidebar__Container" data-exclude-from-selection="true">Advertisement</div>
{second}</div></main></body></html>"""


def _container(sections: list[list[str]], *, header: str | None, trailing_break: bool) -> str:
    if not sections:
        return ""
    parts: list[str] = []
    if header is not None:
        parts.append(
            '<div class="LyricsHeader__Container-sc-1"><span>2 Contributors</span>'
            f"<h2>{escape(header)}</h2></div>"
        )
    rendered_sections = [
        "<br/>".join(_annotated(line, index) for index, line in enumerate(lines))
        for lines in sections
    ]
    # The recommendations block sits inside the lyrics, between two sections.
    recommendations = (
        '<div data-exclude-from-selection="true"><span>You might also like</span>'
        '<a href="/songs-html/1-decoy-lyrics"><div>Decoy</div></a></div>'
    )
    parts.append(rendered_sections[0])
    for rendered in rendered_sections[1:]:
        parts.append(f"<br/>{recommendations}<br/>{rendered}")
    if trailing_break:
        # The container ends where the ad goes: the line's own break, then the recommendations.
        parts.append(f"<br/>{recommendations}")
    body = "".join(parts)
    return f'<div data-lyrics-container="true" class="Lyrics__Container-sc-1">{body}</div>'


def _annotated(line: str, index: int) -> str:
    """Every other lyric line is an annotated referent, as on Genius."""
    if line.startswith("[") or index % 2 == 0:
        return escape(line)
    return f'<a href="/annotation/{index}" class="ReferentFragment"><span>{escape(line)}</span></a>'

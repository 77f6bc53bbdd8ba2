"""Lyrics out of a Genius song page: the text of its lyrics containers, section headers kept."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PageElement

from scraping.errors import NoLyricsError

CONTAINER_SELECTOR = 'div[data-lyrics-container="true"]'
# Elements whose text is page furniture, not lyrics: "You might also like", "N Contributors".
_EXCLUDED_ATTRIBUTE = "data-exclude-from-selection"
_HEADER_CLASS_PREFIX = "LyricsHeader"
_NON_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "button", "svg"})
# A browser starts these on a new line; so must we, even when the block itself is skipped.
_BLOCK_TAGS = frozenset({"div", "p", "section", "aside", "ul", "ol", "li", "h1", "h2", "h3", "h4"})
_BLANK_RUN = re.compile(r"\n{3,}")


def extract_lyrics(html: str) -> str:
    """Every lyrics container's text in page order, `<br>` as a newline.

    Raises NoLyricsError when the page has no container or only empty ones, so a song
    without lyrics is reported instead of being stored with an empty text.
    """
    soup = BeautifulSoup(html, "lxml")
    containers = soup.select(CONTAINER_SELECTOR)
    if not containers:
        raise NoLyricsError("the song page has no lyrics container")
    pieces: list[str] = []
    for container in containers:
        # A container nested in another is already read as part of its parent.
        if container.find_parent("div", attrs={"data-lyrics-container": "true"}) is not None:
            continue
        # Genius splits the lyrics into containers where it places its ads, often inside a
        # verse: a container starts on a new line, like any block, but a blank line between two
        # is there only when the page has one (<br/> at the end of one and the start of the next).
        _end_line(pieces)
        _collect_text(container, pieces)
    text = _tidy("".join(pieces))
    if not text:
        raise NoLyricsError("the song page's lyrics containers are empty")
    return text


def _collect_text(element: Tag, pieces: list[str]) -> None:
    for child in element.children:
        if _is_plain_text(child):
            pieces.append(str(child))
        elif isinstance(child, Tag):
            if child.name == "br":
                pieces.append("\n")
                continue
            is_block = child.name in _BLOCK_TAGS
            if is_block:
                _end_line(pieces)
            if not _is_excluded(child):
                _collect_text(child, pieces)
            if is_block:
                _end_line(pieces)


def _end_line(pieces: list[str]) -> None:
    if pieces and not pieces[-1].endswith("\n"):
        pieces.append("\n")


def _is_plain_text(node: PageElement) -> bool:
    # Comments, CDATA and doctypes are NavigableString subclasses; only plain text counts.
    return type(node) is NavigableString


def _is_excluded(tag: Tag) -> bool:
    if tag.name in _NON_TEXT_TAGS:
        return True
    if str(tag.get(_EXCLUDED_ATTRIBUTE, "")).lower() == "true":
        return True
    classes = tag.get("class") or []
    return any(name.startswith(_HEADER_CLASS_PREFIX) for name in classes)


def _tidy(text: str) -> str:
    """Non-breaking spaces to spaces, no trailing blanks on a line, at most one empty line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = text.replace("\u200b", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n").strip()

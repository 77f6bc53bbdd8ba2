"""What can go wrong while scraping Genius, each with a one-line message a person can act on."""

from __future__ import annotations


class ScrapeError(Exception):
    """Base of every scraping failure; `str(error)` is a single readable line."""


class MissingTokenError(ScrapeError):
    def __init__(self) -> None:
        super().__init__(
            "GENIUS_ACCESS_TOKEN is not set; create a client at https://genius.com/api-clients, "
            "generate an access token and export GENIUS_ACCESS_TOKEN=<token>"
        )


class GeniusAuthError(ScrapeError):
    """401/403: retrying cannot help, so the whole run stops."""


class GeniusNotFoundError(ScrapeError):
    """404 on an API resource or a song page."""


class GeniusUnavailableError(ScrapeError):
    """Timeouts, connection errors, 429 or 5xx that outlasted every retry."""


class GeniusResponseError(ScrapeError):
    """A response that is not the JSON shape the client relies on."""


class ArtistNotFoundError(ScrapeError):
    pass


class AmbiguousArtistError(ScrapeError):
    """A name several Genius artists share; each door says how to pick one of candidate_ids."""

    def __init__(self, message: str, *, candidate_ids: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.candidate_ids = candidate_ids


class NoLyricsError(ScrapeError):
    """The song page has no lyrics container, or containers with no text."""


class ScrapeIncompleteError(ScrapeError):
    """A run that stopped early because Genius kept failing; running it again resumes it."""

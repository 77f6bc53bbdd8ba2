"""What cleaning can refuse: a rule that does not compile, or a run that cannot start."""

from __future__ import annotations


class CleaningError(Exception):
    """A cleaning problem a person can act on; the message is one readable line."""


class InvalidRule(CleaningError):
    """A rule whose pattern, flags or replacement cannot be used; `field` says which."""

    def __init__(self, message: str, *, field: str = "pattern") -> None:
        super().__init__(message)
        self.field = field

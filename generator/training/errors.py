"""The two ways a training request goes wrong, each with a one-line message a person can act on."""

from __future__ import annotations


class TrainingRequestError(Exception):
    """The request is refused before anything is written: bad corpus, bad hyperparameters, a run
    already active on the corpus, a run that cannot be resumed."""


class TrainingRunError(Exception):
    """A started run failed (storage gave up, corrupt checkpoints, export failed); the run is
    marked failed with the same message."""

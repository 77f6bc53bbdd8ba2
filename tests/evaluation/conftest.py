"""The engine's tiny models (tests/engine/conftest.py), shared with the evaluation's tests."""

from __future__ import annotations

from tests.engine.conftest import memorised_sampler, random_sampler, tiny_vocabulary

__all__ = ["memorised_sampler", "random_sampler", "tiny_vocabulary"]

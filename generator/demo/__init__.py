"""The demo corpus `make run` fine-tunes on: original verses written for RapLyrics (CC0)."""

from __future__ import annotations

from pathlib import Path

DEMO_CORPUS = Path(__file__).resolve().parent / "corpus.txt"

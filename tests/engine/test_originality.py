from __future__ import annotations

from pathlib import Path

import pytest

from generator.ml.originality import CorpusLineIndex, OriginalityIndexError, normalise_line


def test_normalising_ignores_case_accents_quotes_and_punctuation() -> None:
    assert normalise_line("Don’t STOP — the Café!!") == normalise_line("dont stop the cafe")


def test_the_index_finds_corpus_lines_but_not_parts_of_them() -> None:
    index = CorpusLineIndex.from_texts(["Cold light on the corner\nI keep my pockets warmer"])
    assert index.contains("cold light, on the CORNER")
    assert not index.contains("cold light on the")
    assert not index.contains("")
    assert len(index) == 2


def test_a_saved_index_loads_back_and_a_corrupt_one_is_refused(tmp_path: Path) -> None:
    index = CorpusLineIndex.from_texts(["one line\nanother line"])
    path = tmp_path / "lines.npz"
    index.save(path)
    assert CorpusLineIndex.load(path).contains("Another line.")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(OriginalityIndexError, match="truncated"):
        CorpusLineIndex.load(path)
    with pytest.raises(OriginalityIndexError, match="does not exist"):
        CorpusLineIndex.load(tmp_path / "missing.npz")

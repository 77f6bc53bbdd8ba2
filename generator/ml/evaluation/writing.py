"""Writing the verses an evaluation measures, by a named recipe, with fixed seeds.

Every verse starts from an empty prefix (the API's default). Recipes:
- `default`: today's API defaults through the same writer (`lyrics_writer.write_lyrics`: 8
  candidates a line, temperatures 0.8/0.9/1.0 cycled per line, the corpus line index rejecting
  recited lines), `EVALUATION_LINES` (8) lines;
- `plain`: plain sampling, one candidate a line at temperature 1.0 (the model's own
  distribution), no scoring or filtering, 8 lines, each line continuing the verse so far;
- `original`: the original project's recipe: 5 lines at temperatures 0.5/0.6/0.7, one candidate
  a line, each continuing the text so far, no filtering.
Every recipe's lines are tidied the same way (`tidy.tidy_line`), so the measures compare words,
not spacing. A verse's seed fixes it: the same model, recipe and seed give the same verse.
The unfiltered recipes write all verses side by side (one batch of streams per line).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from generator.ml.evaluation.shape import WritingCounts
from generator.ml.lyrics_writer import (
    DEFAULT_CANDIDATES,
    DEFAULT_MAX_LINE_CHARS,
    DEFAULT_RHYME_SCHEME,
    DEFAULT_TEMPERATURES,
    DEFAULT_WEIGHTS,
    ChooserWeights,
    LineShape,
    candidate_seed,
    write_lyrics,
)
from generator.ml.originality import CorpusLineIndex
from generator.ml.streams import MAX_STREAMS, SamplingControls, StreamRequest, StreamSampler
from generator.ml.tidy import tidy_line

EVALUATION_LINES = 8
_LETTER_RE = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Recipe:
    name: str
    lines: int
    temperatures: tuple[float, ...]
    candidates: int
    filtered: bool  # the writer's scoring and rejections (the API's path), or plain sampling
    rhyme_scheme: str = DEFAULT_RHYME_SCHEME
    weights: ChooserWeights = DEFAULT_WEIGHTS
    aim_endings: bool = True


DEFAULT_RECIPE = Recipe(
    name="default",
    lines=EVALUATION_LINES,
    temperatures=DEFAULT_TEMPERATURES,
    candidates=DEFAULT_CANDIDATES,
    filtered=True,
)
PLAIN_RECIPE = Recipe(
    name="plain", lines=EVALUATION_LINES, temperatures=(1.0,), candidates=1, filtered=False
)
ORIGINAL_RECIPE = Recipe(
    name="original", lines=5, temperatures=(0.5, 0.6, 0.7), candidates=1, filtered=False
)
RECIPES = {recipe.name: recipe for recipe in (DEFAULT_RECIPE, PLAIN_RECIPE, ORIGINAL_RECIPE)}


@dataclass(frozen=True)
class GeneratedVerse:
    seed: int
    lines: tuple[str, ...]
    requested: int
    dropped: int
    cut_off: int


def verse_seeds(first_seed: int, count: int) -> list[int]:
    """The seeds of an evaluation's verses: `first_seed`, `first_seed + 1`, ..."""
    return [first_seed + offset for offset in range(count)]


def writing_counts(verses: Sequence[GeneratedVerse]) -> WritingCounts:
    return WritingCounts(
        requested=sum(verse.requested for verse in verses),
        dropped=sum(verse.dropped for verse in verses),
        cut_off=sum(verse.cut_off for verse in verses),
    )


def write_verses(
    sampler: StreamSampler,
    *,
    recipe: Recipe,
    seeds: Sequence[int],
    corpus_index: CorpusLineIndex | None,
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
    line_shape: LineShape | None = None,
) -> list[GeneratedVerse]:
    """One verse per seed, written by the recipe (module docstring); `line_shape` is the
    corpus's words per line the filtered writer aims at (None: the writer's fallback)."""
    if recipe.filtered:
        return [
            _filtered_verse(sampler, recipe, seed, corpus_index, max_line_chars, line_shape)
            for seed in seeds
        ]
    verses: list[GeneratedVerse] = []
    for start in range(0, len(seeds), MAX_STREAMS):
        verses += _plain_verses(sampler, recipe, seeds[start : start + MAX_STREAMS], max_line_chars)
    return verses


def _filtered_verse(
    sampler: StreamSampler,
    recipe: Recipe,
    seed: int,
    corpus_index: CorpusLineIndex | None,
    max_line_chars: int,
    line_shape: LineShape | None,
) -> GeneratedVerse:
    written = write_lyrics(
        sampler=sampler,
        lines=recipe.lines,
        temperature=recipe.temperatures,
        candidates=recipe.candidates,
        seed=seed,
        corpus_index=corpus_index,
        max_line_chars=max_line_chars,
        rhyme_scheme=recipe.rhyme_scheme,
        line_shape=line_shape,
        weights=recipe.weights,
        aim_endings=recipe.aim_endings,
    )
    chosen = [
        candidate
        for choice in written.choices
        for candidate in choice.candidates
        if candidate.chosen
    ]
    return GeneratedVerse(
        seed=seed,
        lines=written.lines,
        requested=recipe.lines,
        dropped=recipe.lines - len(written.lines),
        cut_off=sum(1 for candidate in chosen if candidate.truncated),
    )


def _plain_verses(
    sampler: StreamSampler, recipe: Recipe, seeds: Sequence[int], max_line_chars: int
) -> list[GeneratedVerse]:
    newline_id = sampler.vocabulary.token_to_id.get("\n")
    # Models that never saw a newline (the pretrained one) learnt `<s>` as the line boundary.
    separator = newline_id if newline_id is not None else sampler.end_id
    start: list[int] = [] if sampler.config.single_text else [sampler.end_id]
    contexts = [list(start) for _ in seeds]
    lines: list[list[str]] = [[] for _ in seeds]
    dropped = [0] * len(seeds)
    cut_off = [0] * len(seeds)
    for line_number in range(recipe.lines):
        controls = SamplingControls(
            temperature=(recipe.temperatures[line_number % len(recipe.temperatures)],),
            max_chars=max_line_chars,
            stop_at="newline",
        )
        outputs = sampler.generate_streams(
            [
                StreamRequest(
                    context_ids=tuple(contexts[i]),
                    seed=candidate_seed(seed, line=line_number, round_number=0, candidate=0),
                    controls=controls,
                )
                for i, seed in enumerate(seeds)
            ]
        )
        for i, output in enumerate(outputs):
            contexts[i] += [*output.token_ids, separator]
            text = tidy_line(output.text)
            if output.stop_reason == "max_chars":
                cut_off[i] += 1
            if _LETTER_RE.search(text):
                lines[i].append(text)
            else:
                dropped[i] += 1
    return [
        GeneratedVerse(
            seed=seed,
            lines=tuple(lines[i]),
            requested=recipe.lines,
            dropped=dropped[i],
            cut_off=cut_off[i],
        )
        for i, seed in enumerate(seeds)
    ]

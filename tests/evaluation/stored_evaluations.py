"""Stored evaluations for display tests: rows made by the real measures from tiny texts."""

from __future__ import annotations

from generator.ml.evaluation.reference import CorpusReference
from generator.ml.evaluation.report import measure_verses
from generator.models import ModelEvaluation, ModelVersion, TrainingRun

# Written for these tests: a "corpus" and two "models" that write better and worse verses.
CORPUS = [["Morning bus is late again, the driver waves me on", "I write a couple bars"]]
REFERENCE = CorpusReference.from_verses(CORPUS)
GOOD = [["Count the money on the table, sweet like honey", "I stay up till the morning"]]
STUBBY = [["Should meet", "In the chaol"], ["And street"]]


def version_with_evaluations(name: str, *written: list[list[str]]) -> ModelVersion:
    """A version and one evaluation per set of verses, oldest first (rows from the measures)."""
    version = ModelVersion.objects.create(
        name=name, training_run=TrainingRun.objects.create(epochs=1)
    )
    for verses in written:
        ModelEvaluation.objects.create(
            version=version,
            settings={"verses": len(verses), "first_seed": 1000, "lines": 8, "recipe": "default"},
            measures={
                "model": measure_verses(verses, REFERENCE),
                "corpus": measure_verses(CORPUS, REFERENCE),
            },
            samples=verses[:3],
            held_out_verses=1,
        )
    return version

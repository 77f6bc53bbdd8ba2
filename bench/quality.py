"""The lyrics-quality scoreboard (issue 12): the demo model's verses beside its corpus's.

On the demo model (`make run` prepares it in var/; without one there, this prepares it in a
scratch folder first, a minute or two), with the reporting seeds (24 verses from seed 1000,
docs/quality.md), one table: the corpus's held-out verses beside four ways of writing verses,
(a) plain sampling, one candidate a line at temperature 1.0, 8 lines; (b) the original project's
recipe, 5 lines at 0.5/0.6/0.7, each continuing the text so far; (c) the API's writer without
its rhyme-aimed endings (what they add); (d) today's default (the API's writer and defaults, 8
lines), with 3 sample verses each. Then how long evaluating the demo
model takes (`evaluate_model_version`, the path `manage.py evaluate` runs: target under a minute
on the 2-core machine), against writing its 24 verses alone in the same run. That evaluation is
stored in the data dir's database, as `manage.py evaluate` would store it.

    .venv/bin/python bench/quality.py [--data-dir var] [--verses 24] [--seed 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def _use_data_dir(data_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
            "RAPLYRICS_DATA_DIR": str(data_dir),
            "ARTIFACTS_DIR": str(data_dir / "artifacts"),
            "ARTIFACTS_S3_BUCKET": "",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raplyrics.settings")
    import django

    django.setup()


def run(*, verses: int, first_seed: int) -> None:
    from django.core.management import call_command

    from generator.evaluation import (
        evaluate_model_version,
        held_out_verses,
        load_for_evaluation,
        measure_loaded,
    )
    from generator.ml.evaluation.table import format_table
    from generator.ml.evaluation.writing import (
        DEFAULT_RECIPE,
        ORIGINAL_RECIPE,
        PLAIN_RECIPE,
        verse_seeds,
        write_verses,
    )
    from generator.models import ModelVersion

    call_command("migrate", "--noinput", verbosity=0)
    call_command("prepare_demo_model", verbosity=0)
    version = ModelVersion.objects.get(name="demo")

    # The timed path: what `manage.py evaluate --model <demo>` does, stored like it.
    started = time.perf_counter()
    stored = evaluate_model_version(version_id=version.pk, verses=verses, first_seed=first_seed)
    evaluation_s = time.perf_counter() - started

    held_out = held_out_verses(version)
    model = load_for_evaluation(version)
    # Baseline of the same run: writing the same 24 default verses alone (the API's work).
    started = time.perf_counter()
    write_verses(
        model.sampler,
        recipe=DEFAULT_RECIPE,
        seeds=verse_seeds(first_seed, verses),
        corpus_index=model.corpus_index,
        line_shape=model.line_shape,
    )
    writing_s = time.perf_counter() - started

    rows = [(f"corpus ({len(held_out.held_out_verses)} held out)", stored.corpus_row)]
    samples: dict[str, list[list[str]]] = {}
    for label, recipe in (
        ("(a) plain", PLAIN_RECIPE),
        ("(b) original", ORIGINAL_RECIPE),
        ("(c) default, no aimed endings", replace(DEFAULT_RECIPE, aim_endings=False)),
        ("(d) default", DEFAULT_RECIPE),
    ):
        if recipe is DEFAULT_RECIPE:
            rows.append((label, stored.model_row))
            samples[label] = stored.samples
            continue
        evaluation = measure_loaded(
            version, model, held_out, verses=verses, first_seed=first_seed, recipe=recipe
        )
        rows.append((label, evaluation.model_row))
        samples[label] = evaluation.samples

    print(f"demo model (version {version.pk}), {verses} verses from seed {first_seed}")
    print(format_table(rows, markdown=True))
    for label, verses_written in samples.items():
        print(f"\n{label}, sample verses:")
        for verse in verses_written:
            print("\n".join(f"    {line}" for line in verse) + "\n")
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"evaluating the demo model (evaluate_model_version): {evaluation_s:.1f} s")
    print(f"writing its {verses} verses alone (same run):          {writing_s:.1f} s")
    print(f"evaluation / writing alone:                        {evaluation_s / writing_s:.2f}x")
    print(f"load average at the end: {load_average} (shared machine)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "var")
    parser.add_argument("--verses", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir if (args.data_dir / "db.sqlite3").exists() else Path(scratch)
        _use_data_dir(data_dir)
        run(verses=args.verses, first_seed=args.seed)


if __name__ == "__main__":
    main()

"""What a training run's and a model version's admin pages show, as reports a person reads:
the epochs as a table, the hyperparameters as a table, the checkpoints with their sizes, the
run's speed and times in words. Built from a record's fields (and, for checkpoint sizes, one
listing of the artifact store); the admin (generator/admin.py) only places them on the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from generator.formatting import (
    MISSING,
    format_bytes,
    format_count,
    format_duration,
    format_loss,
    format_rate,
)
from generator.models import ModelVersion, TrainingRun

# What the hyperparameter table calls each section of TrainingRun.hyperparameters.
SECTIONS = (("model", "network"), ("training", "training"))


def _table(css_class: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> SafeString:
    head = format_html_join("", "<th>{}</th>", ((label,) for label in header))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html(
        '<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        css_class,
        head,
        body,
    )


# What an unset (None) setting meant to the run, where that is not simply "the default".
UNSET_MEANS = {
    "patience": "none: every epoch",
    "backprop_steps": "the whole window",
    "weight_average": "none: the trained weights",
}


def _setting(value: Any, name: str = "") -> str:
    if value is None:
        return UNSET_MEANS.get(name, "default")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return format_count(value)
    return str(value)


def hyperparameter_rows(hyperparameters: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(section, setting, value) for every recorded setting; unknown sections come last."""
    known = [key for key, _ in SECTIONS]
    names = dict(SECTIONS)
    order = known + sorted(key for key in hyperparameters if key not in known)
    rows = []
    for section in order:
        values = hyperparameters.get(section)
        if isinstance(values, dict):
            rows += [
                (names.get(section, section), key.replace("_", " "), _setting(value, key))
                for key, value in values.items()
            ]
        elif values is not None:
            rows.append((names.get(section, section), "", _setting(values)))
    return rows


def hyperparameter_table(run: TrainingRun) -> SafeString:
    rows = hyperparameter_rows(run.hyperparameters or {})
    if not rows:
        return format_html("<p>{}</p>", "No hyperparameters were recorded.")
    return _table("hyperparameter-table", ["part", "setting", "value"], rows)


def epoch_table(run: TrainingRun) -> SafeString:
    """One row per finished epoch: losses, speed, time; the kept (best) epoch is marked."""
    if not run.epoch_metrics:
        return format_html("<p>{}</p>", "No epoch has finished yet.")
    rows = []
    elapsed: float | None = 0.0
    for index, metrics in enumerate(run.epoch_metrics):
        number = int(metrics.get("epoch") or index + 1)
        seconds = metrics.get("seconds")
        elapsed = None if elapsed is None or seconds is None else elapsed + float(seconds)
        rows.append(
            (
                f"{number} (kept)" if number == run.best_epoch else number,
                format_loss(metrics.get("loss")),
                format_loss(metrics.get("val_loss")),
                format_rate(metrics.get("windows_per_second")),
                format_duration(seconds),
                format_duration(elapsed),
            )
        )
    header = ["epoch", "train loss", "held-out loss", "speed", "epoch time", "wall time"]
    return _table("epoch-table", header, rows)


def checkpoint_list(run: TrainingRun) -> SafeString:
    """The run's checkpoints, oldest first, each with its size in artifact storage (one
    listing); a checkpoint the store no longer has says so, and a store that cannot be
    reached leaves the keys listed with the reason."""
    from generator.artifacts import ArtifactStoreError, store_from_settings

    keys = list(run.checkpoint_keys or [])
    if not keys:
        return format_html("<p>{}</p>", "No checkpoint has been stored.")
    try:
        store = store_from_settings(settings)
        sizes: dict[str, int] | None = store.sizes(run.artifact_prefix)
        where = store.uri(keys[0]).rpartition("/")[0] + "/"
        problem = ""
    except ArtifactStoreError as error:
        sizes, where, problem = None, "", f"Sizes unknown: {error}"
    items = format_html_join(
        "",
        "<li><code>{}</code> {}</li>",
        (
            (
                key,
                MISSING
                if sizes is None
                else (format_bytes(sizes[key]) if key in sizes else "missing from storage"),
            )
            for key in keys
        ),
    )
    note = format_html("<p>{}</p>", problem or f"Stored in {where}")
    return format_html('<ul class="checkpoint-list">{}</ul>{}', items, note)


def speed_and_time(run: TrainingRun) -> str:
    """e.g. "1,625 windows/s, 4 min 5 s of training on cpu (host-1)"."""
    where = ", ".join(part for part in (run.device, run.host) if part)
    trained = format_duration(run.wall_seconds) if run.wall_seconds else MISSING
    line = f"{format_rate(run.windows_per_second)}, {trained} of training"
    return f"{line} on {where}" if where else line


def version_held_out_loss(version: ModelVersion) -> str:
    """The kept epoch's validation loss, as its training run measured it (nats/char)."""
    value = (version.metrics or {}).get("val_loss")
    return format_loss(float(value)) if isinstance(value, int | float) else MISSING


def version_training_facts(version: ModelVersion) -> SafeString:
    """A version's training in a small table: loss, epochs, speed, time, device."""
    metrics = version.metrics or {}
    if not metrics:
        return format_html("<p>{}</p>", "No training metrics were recorded (an imported model?).")

    def number(key: str) -> float | None:
        value = metrics.get(key)
        return float(value) if isinstance(value, int | float) else None

    epochs = metrics.get("epochs")
    trained = metrics.get("epochs_trained")
    rows = [
        ("held-out loss (kept epoch)", format_loss(number("val_loss"))),
        ("train loss (kept epoch)", format_loss(number("loss"))),
        (
            "epoch kept / trained",
            f"{epochs if epochs is not None else MISSING} / "
            f"{trained if trained is not None else MISSING}",
        ),
        ("why it stopped", str(metrics.get("stop_reason") or MISSING)),
        ("objective", str(metrics.get("objective") or MISSING)),
        ("speed", format_rate(number("windows_per_second"))),
        ("training time", format_duration(number("wall_seconds"))),
        ("device", str(metrics.get("device") or MISSING)),
    ]
    return _table("training-facts", ["measure", "value"], rows)

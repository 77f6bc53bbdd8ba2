"""The time-to-quality benchmark's arithmetic and its chart file."""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

import pytest

from bench._png_plot import Panel, Series, render, write_png
from bench.time_to_quality import (
    curve,
    positive_int,
    seconds_to,
    speed_ups,
    summary,
    weight_average_option,
)
from bench.truncated_backprop import parse_corpus


def test_a_curve_accumulates_training_seconds_from_the_pretrained_loss() -> None:
    result = {
        "initial_held_out_loss": 1.5,
        "epochs": [
            {"seconds": 10.0, "held_out_loss": 1.45},
            {"seconds": 8.0, "held_out_loss": 1.38},
            {"seconds": 9.0, "held_out_loss": 1.40},
        ],
    }
    points = curve(result)
    assert points == [(0.0, 1.5), (10.0, 1.45), (18.0, 1.38), (27.0, 1.40)]
    assert seconds_to(points, 1.40) == 18.0  # the first epoch at or under the target
    assert seconds_to(points, 1.30) is None
    assert seconds_to(points, 1.6) == 10.0  # the pretrained point itself never counts


def test_the_chart_is_a_valid_png_with_one_panel_per_corpus(tmp_path: Path) -> None:
    panel = Panel(
        series=[Series([(0, 1.5), (10, 1.4), (20, 1.3)], (200, 40, 40))],
        x_range=(0, 20),
        y_range=(1.2, 1.6),
        x_ticks=[10],
        y_ticks=[1.3, 1.4, 1.5],
        dashed_y=[(1.35, (120, 120, 120))],
    )
    path = tmp_path / "chart.png"
    write_png(render([panel, panel], width=100, height=60), path)

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (200, 60)
    idat_length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    pixels = zlib.decompress(data[41 : 41 + idat_length])
    assert len(pixels) == height * (1 + width * 3)
    assert bytes((200, 40, 40)) in pixels  # the series was drawn


def test_the_truncation_bench_reads_tuning_corpora_and_refuses_the_reported_splits() -> None:
    assert parse_corpus("ts@500000/2") == ("shakespeare", 500_000, 2)
    assert parse_corpus("demo/3") == ("demo", 0, 3)
    for reported in ("demo/0", "ts/0", "ts@0/0"):
        with pytest.raises(SystemExit, match="reported split"):
            parse_corpus(reported)
    with pytest.raises(SystemExit, match="ts@OFFSET/SEED"):
        parse_corpus("shakespeare")


def test_the_weight_average_option_takes_a_momentum_below_1_or_0_for_none() -> None:
    assert weight_average_option("0.99") == 0.99
    assert weight_average_option("0") is None
    for bad in ("1", "-0.1", "nan", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            weight_average_option(bad)


def _measured(corpus: str, textgenrnn: float | None, last: float | None, ours: float | None):  # type: ignore[no-untyped-def]
    return {
        "corpus": corpus,
        "seconds_to_target": {"textgenrnn": textgenrnn, "last": last, "all-positions": ours},
    }


def test_repeated_measurements_end_with_how_many_met_each_target() -> None:
    repeats = [
        [_measured("demo", 30.0, 12.0, 3.0), _measured("ts", 24.0, 12.0, 4.0)],
        [_measured("demo", 14.0, 14.0, 3.5), _measured("ts", 30.0, 9.0, 5.0)],
        [_measured("demo", 40.0, 20.0, 4.0), _measured("ts", 20.0, None, None)],
    ]
    assert speed_ups(repeats[0][0]) == (10.0, 4.0)
    assert speed_ups(repeats[2][1]) == (None, None)  # ours never reached the target

    lines = summary(repeats)
    assert summary([[_measured("tiny", 10.0, None, None)]]) == [
        "tiny: 5x textgenrnn in 0 of 1 (never reached); 2x last in 0 of 1 (never reached)"
    ]
    assert lines == [
        "demo: 5x textgenrnn in 2 of 3 (lowest 4.0x, median 10.0x); "
        "2x last in 3 of 3 (lowest 4.0x, median 4.0x)",
        "ts: 5x textgenrnn in 2 of 3 (lowest 6.0x, median 6.0x); "
        "2x last in 1 of 3 (lowest 1.8x, median 2.4x)",
    ]


def test_the_repeats_option_takes_a_whole_number_from_1() -> None:
    assert positive_int("3") == 3
    for bad in ("0", "-1", "2.5", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_int(bad)

"""The training benchmark's arithmetic: the FLOP count behind its matmul-ceiling rows."""

from __future__ import annotations

from bench.train_throughput import best, training_flops_per_window


def test_the_pretrained_network_costs_60_6_mflop_per_training_window() -> None:
    # By hand: gates of rnn_1 (100 in + 128 recurrent) and rnn_2 (128 + 128) over 40 steps,
    # attention scores and weighted sum over 356 features, the 356 x 465 output; x3 for backward.
    forward = 40 * 2 * (100 + 128) * 512 + 40 * 2 * (128 + 128) * 512
    forward += 2 * 40 * 2 * 356 + 2 * 356 * 465
    counted = training_flops_per_window(
        layers=2, units=128, directions=1, window=40, embedding=100, classes=465
    )
    assert counted == 3 * forward == 60_638_040


def test_a_bidirectional_layer_counts_both_directions_and_feeds_twice_the_width() -> None:
    both_ways = training_flops_per_window(
        layers=2, units=8, directions=2, window=5, embedding=4, classes=10
    )
    gates = 3 * (5 * 2 * (4 + 8) * 32 + 5 * 2 * (16 + 8) * 32) * 2  # layer 2 reads 16 features
    head = 3 * (2 * 5 * 2 * (4 + 32) + 2 * (4 + 32) * 10)
    assert both_ways == gates + head


def test_the_first_epoch_with_its_tracing_is_left_out_of_the_best() -> None:
    result = {"epochs": [{"windows_per_second": 900.0}, {"windows_per_second": 500.0}]}
    assert best(result) == 500.0
    assert best({"epochs": [{"windows_per_second": 700.0}]}) == 700.0

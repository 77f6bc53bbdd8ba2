"""The token draw: inverse CDF over temperature-scaled, top-k/top-p filtered probabilities."""

from __future__ import annotations

import numpy as np

from generator.ml.sampling import next_tokens

PROBS = np.array([[0.05, 0.1, 0.5, 0.15, 0.2]], dtype=np.float32)


def draw_all(uniforms: np.ndarray, *, top_k: int = 0, top_p: float = 1.0) -> set[int]:
    """The classes drawn for many uniforms at once (one batch row per uniform)."""
    rows = len(uniforms)
    tokens = next_tokens(
        np.repeat(PROBS, rows, axis=0),
        uniforms.astype(np.float32),
        temperature=np.ones(rows, np.float32),
        top_k=np.full(rows, top_k, np.int32),
        top_p=np.full(rows, top_p, np.float32),
    )
    return {int(t) for t in np.asarray(tokens)}


def draw(uniform: float, *, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> int:
    token = next_tokens(
        PROBS,
        np.array([uniform], dtype=np.float32),
        temperature=np.array([temperature], dtype=np.float32),
        top_k=np.array([top_k], dtype=np.int32),
        top_p=np.array([top_p], dtype=np.float32),
    )
    return int(np.asarray(token)[0])


def test_inverse_cdf_walks_the_classes_in_id_order_without_padding() -> None:
    # Without padding the mass is 0.1, 0.5, 0.15, 0.2 out of 0.95 (classes 1, 2, 3, 4).
    assert draw(0.0) == 1
    assert draw(0.1 / 0.95 - 0.01) == 1
    assert draw(0.1 / 0.95 + 0.01) == 2
    assert draw(0.6 / 0.95 + 0.01) == 3
    assert draw(0.75 / 0.95 + 0.01) == 4
    assert draw(0.999) == 4


def test_padding_is_never_drawn_even_when_it_is_most_likely() -> None:
    rows = 50
    tokens = next_tokens(
        np.repeat(np.array([[0.9, 0.04, 0.06]], dtype=np.float32), rows, axis=0),
        np.linspace(0.0, 0.999, rows).astype(np.float32),
        temperature=np.ones(rows, np.float32),
        top_k=np.zeros(rows, np.int32),
        top_p=np.ones(rows, np.float32),
    )
    assert set(np.asarray(tokens).tolist()) == {1, 2}


def test_top_k_one_and_temperature_zero_are_greedy() -> None:
    for uniform in (0.0, 0.3, 0.999):
        assert draw(uniform, top_k=1) == 2
        assert draw(uniform, temperature=0.0) == 2


def test_top_k_keeps_only_the_k_most_likely_classes() -> None:
    drawn = draw_all(np.linspace(0.0, 0.999, 200), top_k=2)
    assert drawn == {2, 4}


def test_top_p_keeps_the_smallest_set_reaching_the_mass() -> None:
    # 0.5/0.95 = 0.53 < 0.6, so class 4 joins; 0.74 >= 0.6 stops there.
    drawn = draw_all(np.linspace(0.0, 0.999, 200), top_p=0.6)
    assert drawn == {2, 4}


def test_low_temperature_sharpens_the_distribution() -> None:
    # At T=0.25 class 2 holds 0.5^4 / (0.5^4 + 0.2^4 + ...) = 97% of the mass.
    assert draw(0.9, temperature=0.25) == 2
    assert draw(0.9, temperature=1.0) != 2

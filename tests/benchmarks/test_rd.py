"""benchmarks/rd.py: PCHIP against values SciPy's PchipInterpolator gives, and BD-rate on curves with known answers."""

import itertools
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import rd

# SciPy 1.17.1: PchipInterpolator([0, 1, 3, 4, 7], [1, 3, 2, 2.5, 6]) at x, and .integrate(0.7, 6.2).
SCIPY_POINTS = ([0, 1, 3, 4, 7], [1, 3, 2, 2.5, 6])
SCIPY_VALUES = [
    (0.5, 2.3541666666666665),
    (2, 2.5),
    (3.3, 2.06665625),
    (5, 3.3287037037037037),
    (6.9, 5.834966435185186),
]
SCIPY_INTEGRAL = 15.766725462962963


@pytest.mark.parametrize(("x", "expected"), SCIPY_VALUES)
def test_pchip_matches_scipy(x: float, expected: float) -> None:
    assert rd.Pchip(*SCIPY_POINTS)(x) == pytest.approx(expected, rel=1e-12)


def test_pchip_integral_matches_scipy() -> None:
    assert rd.Pchip(*SCIPY_POINTS).integral(0.7, 6.2) == pytest.approx(SCIPY_INTEGRAL, rel=1e-12)


def test_pchip_passes_through_its_points_and_never_overshoots_monotone_data() -> None:
    xs, ys = [10.0, 20.0, 35.0, 50.0], [5.0, 4.0, 1.0, 0.5]
    curve = rd.Pchip(xs, ys)
    assert [curve(x) for x in xs] == pytest.approx(ys)
    samples = [curve(10 + i * 0.4) for i in range(101)]
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(samples))


def test_two_points_are_a_straight_line() -> None:
    assert rd.Pchip([0.0, 2.0], [1.0, 5.0])(0.5) == pytest.approx(2.0)


@pytest.mark.parametrize("factor", [1.0, 1.1, 0.8])
def test_bd_rate_of_a_scaled_curve_is_the_scale(factor: float) -> None:
    anchor = [(40.0, 2000.0), (55.0, 3500.0), (70.0, 6000.0), (85.0, 14000.0)]
    test = [(s, b * factor) for s, b in anchor]
    assert rd.bd_rate(anchor, test) == pytest.approx(100 * (factor - 1), abs=1e-9)


def test_bd_rate_uses_only_the_common_range_and_interpolates() -> None:
    # log(bytes) = score / 10 on both, sampled at different scores: the same curve, so 0 %.
    anchor = [(s, math.exp(s / 10)) for s in (30.0, 45.0, 60.0, 75.0)]
    test = [(s, math.exp(s / 10)) for s in (50.0, 58.0, 66.0, 90.0)]
    assert rd.common_range(anchor, test) == (50.0, 75.0)
    assert rd.bd_rate(anchor, test) == pytest.approx(0.0, abs=1e-9)


def test_bd_rate_is_antisymmetric_in_log_terms() -> None:
    anchor = [(40.0, 2000.0), (60.0, 4000.0), (80.0, 9000.0)]
    test = [(42.0, 2100.0), (61.0, 3900.0), (83.0, 9800.0)]
    forward, backward = rd.bd_rate(anchor, test), rd.bd_rate(test, anchor)
    assert (1 + forward / 100) * (1 + backward / 100) == pytest.approx(1.0)


def test_bd_rate_refuses_disjoint_or_degenerate_curves() -> None:
    with pytest.raises(ValueError, match="overlap"):
        rd.bd_rate([(1.0, 1.0), (2.0, 2.0)], [(3.0, 1.0), (4.0, 2.0)])
    with pytest.raises(ValueError, match="two distinct"):
        rd.log_curve([(1.0, 1.0), (1.0, 2.0)])
    with pytest.raises(ValueError, match="positive"):
        rd.bd_rate([(1.0, 0.0), (2.0, 2.0)], [(0.0, 1.0), (4.0, 2.0)])


def test_dssim_score_is_decibels() -> None:
    assert rd.dssim_score(0.01) == pytest.approx(20.0)

"""Rate-distortion curves and the Bjøntegaard delta between two of them (BD-rate), in pure Python.

A curve is a list of ``(score, value)`` points of one encoder on one image: ``score`` is a quality score where
higher is better (SSIMULACRA2 as it is; DSSIM through ``dssim_score``), ``value`` is positive (output bytes for
BD-rate, CPU milliseconds for the CPU ratio at matched quality).

``bd_rate(anchor, test)`` is the mean relative difference in ``value`` at equal score, in percent::

    log_a(s), log_t(s) = PCHIP interpolants of log(value) against score, one per curve
    [lo, hi]           = the common score range (the overlap of the two curves' ranges)
    bd_rate            = 100 * (exp(mean over [lo, hi] of (log_t(s) - log_a(s))) - 1)

so +5 means the test curve needs 5 % more bytes than the anchor for the same score, and 0 means parity. The
interpolation is PCHIP (Fritsch and Carlson's monotone cubic Hermite, with the slopes of Fritsch and Butland as
SciPy's ``PchipInterpolator`` computes them): it never overshoots between measured points, which the cubic
polynomial fit of the original BD-rate (VCEG-M33) does on four noisy points. The integral is exact: Simpson's rule
is exact for the cubic on each piece. Points are sorted by score; a repeated score keeps its first point.

Raises ``ValueError`` for a curve with fewer than two distinct scores, a non-positive value, or curves whose
score ranges do not overlap.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

Curve = Sequence[tuple[float, float]]


def dssim_score(dssim: float) -> float:
    """DSSIM as a higher-is-better score in decibels, ``-10 log10(DSSIM)``, the scale PSNR BD-rates use."""
    return -10.0 * math.log10(dssim)


class Pchip:
    """The PCHIP interpolant through ``(x, y)`` points with strictly increasing ``x``; clamps outside them."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        if len(xs) != len(ys) or len(xs) < 2:
            raise ValueError("PCHIP needs at least two points")
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise ValueError("PCHIP needs strictly increasing x")
        self.xs, self.ys = list(xs), list(ys)
        h = [b - a for a, b in itertools.pairwise(xs)]
        d = [(y1 - y0) / step for y0, y1, step in zip(ys, ys[1:], h, strict=False)]
        n = len(xs)
        m = [0.0] * n
        if n == 2:
            m = [d[0], d[0]]
        else:
            for k in range(1, n - 1):
                if d[k - 1] * d[k] > 0:
                    w1, w2 = 2 * h[k] + h[k - 1], h[k] + 2 * h[k - 1]
                    m[k] = (w1 + w2) / (w1 / d[k - 1] + w2 / d[k])
            m[0] = _end_slope(h[0], h[1], d[0], d[1])
            m[-1] = _end_slope(h[-1], h[-2], d[-1], d[-2])
        self.slopes = m

    def __call__(self, x: float) -> float:
        xs = self.xs
        x = min(max(x, xs[0]), xs[-1])
        k = min(max(bisect.bisect_right(xs, x) - 1, 0), len(xs) - 2)
        h = xs[k + 1] - xs[k]
        t = (x - xs[k]) / h
        y0, y1, m0, m1 = self.ys[k], self.ys[k + 1], self.slopes[k], self.slopes[k + 1]
        return (
            (2 * t**3 - 3 * t**2 + 1) * y0
            + (t**3 - 2 * t**2 + t) * h * m0
            + (-2 * t**3 + 3 * t**2) * y1
            + (t**3 - t**2) * h * m1
        )

    def integral(self, lo: float, hi: float) -> float:
        """The exact integral from ``lo`` to ``hi`` (inside the points' range): Simpson's rule on each cubic piece."""
        cuts = [lo, *(x for x in self.xs if lo < x < hi), hi]
        return sum((b - a) / 6 * (self(a) + 4 * self((a + b) / 2) + self(b)) for a, b in itertools.pairwise(cuts))


def _end_slope(h0: float, h1: float, d0: float, d1: float) -> float:
    """The shape-preserving three-point end slope (SciPy's ``PchipInterpolator._edge_case``)."""
    slope = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
    if math.copysign(1, slope) != math.copysign(1, d0) or d0 == 0:
        return 0.0
    if math.copysign(1, d0) != math.copysign(1, d1) and abs(slope) > abs(3 * d0):
        return 3 * d0
    return slope


def log_curve(curve: Curve) -> Pchip:
    """PCHIP of log(value) against score, the points sorted by score (a repeated score keeps its first point)."""
    points: dict[float, float] = {}
    for score, value in sorted(curve, key=lambda p: p[0]):
        if value <= 0:
            raise ValueError(f"value must be positive, got {value}")
        points.setdefault(score, math.log(value))
    if len(points) < 2:
        raise ValueError("a curve needs at least two distinct scores")
    return Pchip(list(points), list(points.values()))


def common_range(anchor: Curve, test: Curve) -> tuple[float, float]:
    """The overlap ``(lo, hi)`` of the two curves' score ranges; ``ValueError`` when it is empty."""
    lo = max(min(s for s, _ in anchor), min(s for s, _ in test))
    hi = min(max(s for s, _ in anchor), max(s for s, _ in test))
    if hi <= lo:
        raise ValueError(f"score ranges do not overlap ({lo:.3g} >= {hi:.3g})")
    return lo, hi


def bd_rate(anchor: Curve, test: Curve) -> float:
    """Percent more ``value`` the test curve needs than the anchor at equal score, over their common score range."""
    lo, hi = common_range(anchor, test)
    mean = (log_curve(test).integral(lo, hi) - log_curve(anchor).integral(lo, hi)) / (hi - lo)
    return 100.0 * (math.exp(mean) - 1.0)

"""Distribution-free confidence intervals for percentiles, from order statistics (pure maths).

If K counts the samples below the true q-quantile of a continuous distribution, K ~ Binomial(n, q),
so the sorted samples x(1) <= ... <= x(n) bracket it with P(x(l) <= quantile < x(u)) =
P(l <= K <= u - 1), whatever the distribution. The interval is equal-tailed and conservative: l is
the highest rank with P(K < l) <= alpha/2 and u the lowest with P(K >= u) <= alpha/2. A side with no
such rank is unbounded: n samples bound the p99 from above only once 0.99^n <= 0.025, i.e. from 368
samples on (p99.9: 3,688), which is why a p99 from a few hundred rounds cannot be trusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


def binomial_cdf(n: int, q: float) -> np.ndarray:
    """P(K <= k) for k = 0..n, K ~ Binomial(n, q), 0 < q < 1 (log-space recurrence: no overflow)."""
    if n < 1 or not 0 < q < 1:
        raise ValueError(f"binomial_cdf needs n >= 1 and 0 < q < 1; got n={n}, q={q}")
    k = np.arange(1, n + 1)
    steps = np.log((n - k + 1) / k) + math.log(q) - math.log1p(-q)
    log_pmf = n * math.log1p(-q) + np.concatenate(([0.0], np.cumsum(steps)))
    pmf = np.exp(log_pmf - log_pmf.max())
    return np.minimum(np.cumsum(pmf / pmf.sum()), 1.0)


def order_statistic_ranks(n: int, q: float, confidence: float = CONFIDENCE) -> tuple[int | None, int | None]:
    """1-based ranks (l, u) of the sorted samples that bound the q-quantile with at least
    `confidence`; None for a side n samples cannot bound."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}")
    tail = (1 - confidence) / 2
    cdf = binomial_cdf(n, q)
    # cdf[j - 1] = P(K < j): the chance that x(j) lies above the quantile.
    lows = np.flatnonzero(cdf[:n] <= tail)
    # 1 - cdf[j - 1] = P(K >= j): the chance that x(j) lies below it.
    highs = np.flatnonzero(1 - cdf[:n] <= tail)
    low = int(lows[-1]) + 1 if lows.size else None
    high = int(highs[0]) + 1 if highs.size else None
    return low, high


@dataclass(frozen=True)
class PercentileInterval:
    """A percentile's estimate, its interval (None: unbounded side) and how many samples lie above it."""

    estimate: float
    low: float | None
    high: float | None
    above: int

    def relative_half_width(self) -> float | None:
        """The wider side of the interval as a fraction of the estimate; None when a side is unbounded."""
        if self.low is None or self.high is None or self.estimate <= 0:
            return None
        return max(self.estimate - self.low, self.high - self.estimate) / self.estimate

    def is_tight(self, tolerance: float) -> bool:
        """Both sides within `tolerance` of the estimate (a fraction: 0.05 is ±5%)."""
        width = self.relative_half_width()
        return width is not None and width <= tolerance

    def as_dict(self) -> dict[str, float | int | None]:
        return {"low": self.low, "high": self.high, "above": self.above}


def percentile_interval(sorted_samples: np.ndarray, q: float, estimate: float, confidence: float = CONFIDENCE) -> PercentileInterval:
    """The interval of the q-quantile (0 < q < 1) from samples sorted ascending."""
    low_rank, high_rank = order_statistic_ranks(len(sorted_samples), q, confidence)
    return PercentileInterval(
        estimate=estimate,
        low=float(sorted_samples[low_rank - 1]) if low_rank is not None else None,
        high=float(sorted_samples[high_rank - 1]) if high_rank is not None else None,
        above=int(len(sorted_samples) - np.searchsorted(sorted_samples, estimate, side="right")),
    )


def interval_section(intervals: Mapping[str, PercentileInterval], tolerance: float, confidence: float = CONFIDENCE) -> dict[str, object]:
    """The record's `latency_ci_ms`: each percentile's interval and samples above it, and whether
    the p99's interval is within `tolerance` (a row whose p99 is loose is flagged, not hidden)."""
    p99 = intervals["p99"]
    return {
        "confidence": confidence,
        "tolerance": tolerance,
        "p99_tight": p99.is_tight(tolerance),
        "p99_half_width": p99.relative_half_width(),
        **{name: interval.as_dict() for name, interval in intervals.items()},
    }


def rounds_for_tolerance(pilot_s: np.ndarray, q: float, tolerance: float, most: int, confidence: float = CONFIDENCE) -> int | None:
    """How many samples bring the q-quantile's interval within `tolerance`, judged on a pilot:
    for a candidate n, the ranks that bound the quantile are read off the pilot's own quantile
    function (a plug-in estimate, the second stage of a Stein-style two-stage plan). Candidates
    grow by 25% from the fewest that bound both sides, up to `most`; None when even `most` would
    not do."""
    pilot = np.sort(np.asarray(pilot_s, dtype=np.float64))
    estimate = float(np.quantile(pilot, q))
    for n in _candidates(fewest_bounding_samples(q, confidence), most):
        low_rank, high_rank = order_statistic_ranks(n, q, confidence)
        # numpy's linear interpolation puts rank r of n samples at quantile (r - 1) / (n - 1).
        low, high = np.quantile(pilot, [(low_rank - 1) / (n - 1), (high_rank - 1) / (n - 1)])
        if estimate > 0 and max(estimate - low, high - estimate) <= tolerance * estimate:
            return n
    return None


def _candidates(first: int, most: int) -> list[int]:
    """first, then 25% more at each step, ending at `most` (none when first > most)."""
    if first > most:
        return []
    sizes = []
    while first < most:
        sizes.append(first)
        first += max(1, first // 4)
    return [*sizes, most]


def fewest_bounding_samples(q: float, confidence: float = CONFIDENCE) -> int:
    """The fewest samples whose order statistics bound the q-quantile on both sides (p99: 368)."""
    tail = (1 - confidence) / 2
    return math.ceil(math.log(tail) / math.log(max(q, 1 - q)))

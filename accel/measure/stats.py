"""Latency statistics from raw per-round samples (pure maths, no pytest).

Like pytest-benchmark's own `Stats`: keep the samples, derive each statistic lazily, and let one
tuple of field names drive `as_dict`. Percentiles use linear interpolation between closest ranks
(numpy's default), so p50 equals the median pytest-benchmark reports for the same samples. Each
percentile also has a distribution-free 95% interval from order statistics (`accel.measure.intervals`)
and the count of samples above it: a p99 resting on two samples says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from accel.measure.intervals import PercentileInterval, percentile_interval

LATENCY_FIELDS = ("p50", "p90", "p99", "p999", "min", "max", "mean", "stdev", "n")
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}


class Stats:
    """Statistics over samples given in seconds, reported in milliseconds."""

    def __init__(self, samples_s: Sequence[float]) -> None:
        if len(samples_s) == 0:
            raise ValueError("Stats needs at least one sample")
        self.samples_ms = np.asarray(samples_s, dtype=np.float64) * 1e3

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.samples_ms, q))

    @cached_property
    def p50(self) -> float:
        return self.percentile(50)

    @cached_property
    def p90(self) -> float:
        return self.percentile(90)

    @cached_property
    def p99(self) -> float:
        return self.percentile(99)

    @cached_property
    def p999(self) -> float:
        return self.percentile(99.9)

    @cached_property
    def min(self) -> float:
        return float(self.samples_ms.min())

    @cached_property
    def max(self) -> float:
        return float(self.samples_ms.max())

    @cached_property
    def mean(self) -> float:
        return float(self.samples_ms.mean())

    @cached_property
    def stdev(self) -> float:
        """Sample standard deviation (n-1), 0 for a single sample, as pytest-benchmark reports."""
        return float(self.samples_ms.std(ddof=1)) if len(self.samples_ms) > 1 else 0.0

    @cached_property
    def n(self) -> int:
        return len(self.samples_ms)

    @cached_property
    def sorted_ms(self) -> np.ndarray:
        return np.sort(self.samples_ms)

    def interval(self, name: str) -> PercentileInterval:
        """The 95% interval of one of the PERCENTILES, and how many samples lie above it."""
        return percentile_interval(self.sorted_ms, PERCENTILES[name] / 100, getattr(self, name))

    def intervals(self) -> dict[str, PercentileInterval]:
        return {name: self.interval(name) for name in PERCENTILES}

    def throughput(self, items_per_round: int) -> float:
        """Items per second over the whole run: items / mean round time."""
        return items_per_round * 1e3 / self.mean

    def as_dict(self, fields: Sequence[str] = LATENCY_FIELDS) -> dict[str, float]:
        return {name: getattr(self, name) for name in fields}

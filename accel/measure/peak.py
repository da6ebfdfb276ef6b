"""Peak search: the highest QPS whose p99 stays under a bound (LoadGen's FindPeakPerformance,
perf_analyzer's latency threshold), by bisection over short Server runs.

Each probe is a short run, so its p99 rests on a few samples: the search finds the bound's
neighbourhood, and the row then confirms the peak with full runs, backing off by `BACKOFF` while a
full run misses the bound (on the 2-core CPU, 4 of 6 peaks found by probes alone missed it in their
full run: near saturation a few hundred queries do not see the tail). p99 grows steeply near
saturation, so bisection between no load and the back-to-back capacity converges quickly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from accel.errors import UsageError

BACKOFF = 0.9  # each confirmation attempt after a miss offers 10% less
CONFIRM_ATTEMPTS = 3
RunResult = TypeVar("RunResult")


@dataclass(frozen=True)
class Probe:
    qps: float
    p99_ms: float
    queries: int

    def passed(self, bound_ms: float) -> bool:
        return self.p99_ms <= bound_ms


@dataclass(frozen=True)
class PeakSearch:
    bound_ms: float
    probes: tuple[Probe, ...]

    @property
    def peak_qps(self) -> float | None:
        """The highest probed rate whose p99 met the bound (None: none did)."""
        passing = [probe.qps for probe in self.probes if probe.passed(self.bound_ms)]
        return max(passing) if passing else None

    def as_dict(self, final_p99_ms: float, confirmations: tuple[Probe, ...] = ()) -> dict[str, object]:
        """The search, the full runs that confirmed (or backed off from) its peak, and whether the
        last full run kept p99 under the bound."""
        def listed(probes: tuple[Probe, ...]) -> list[dict[str, object]]:
            return [{"qps": p.qps, "p99_ms": p.p99_ms, "queries": p.queries, "passed": p.passed(self.bound_ms)} for p in probes]

        return {
            "p99_bound_ms": self.bound_ms,
            "peak_qps": self.peak_qps,
            "final_p99_ms": final_p99_ms,
            "final_met_bound": final_p99_ms <= self.bound_ms,
            "probes": listed(self.probes),
            "confirmations": listed(confirmations),
        }


@dataclass(frozen=True)
class Confirmed(Generic[RunResult]):
    """The rate a full run was last made at, that run, and every full run made (as probes)."""

    qps: float
    run: RunResult
    attempts: tuple[Probe, ...]


def confirm_peak(
    full_run: Callable[[float], tuple[float, int, RunResult]],
    start_qps: float,
    bound_ms: float,
    backoff: float = BACKOFF,
    attempts: int = CONFIRM_ATTEMPTS,
) -> Confirmed[RunResult]:
    """Full runs from `start_qps` down by `backoff` until one keeps p99 within the bound, at most
    `attempts` of them; `full_run(qps)` returns (p99 ms, queries, the run). The last run is kept
    either way: whether it met the bound is the row's to report."""
    if not 0 < backoff < 1 or attempts < 1:
        raise UsageError(f"peak confirmation needs 0 < backoff < 1 and >= 1 attempt; got {backoff}, {attempts}")
    qps, made = start_qps, []
    while True:
        p99_ms, queries, run = full_run(qps)
        made.append(Probe(qps, p99_ms, queries))
        if p99_ms <= bound_ms or len(made) == attempts:
            return Confirmed(qps, run, tuple(made))
        qps *= backoff


def find_peak(p99_at: Callable[[float], tuple[float, int]], bound_ms: float, capacity_qps: float, probes: int) -> PeakSearch:
    """Bisect (0, capacity] with `probes` runs; `p99_at(qps)` runs one and returns (p99 ms, queries)."""
    if not bound_ms > 0 or not capacity_qps > 0 or probes < 1:
        raise UsageError(f"peak search needs a bound > 0 ms, a capacity > 0 QPS and >= 1 probe; got {bound_ms}, {capacity_qps}, {probes}")
    low, high = 0.0, capacity_qps
    done = []
    for _ in range(probes):
        qps = (low + high) / 2
        p99_ms, queries = p99_at(qps)
        probe = Probe(qps, p99_ms, queries)
        done.append(probe)
        low, high = (qps, high) if probe.passed(bound_ms) else (low, qps)
    return PeakSearch(bound_ms, tuple(done))


def default_bound_ms(back_to_back_s: np.ndarray, factor: float = 10.0) -> float:
    """Ten times the back-to-back median service time: what a row's peak is judged against unless a bound is given."""
    return float(np.median(back_to_back_s)) * 1e3 * factor

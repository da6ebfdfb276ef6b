"""Clocks and the round planner shared by every benchmark.

All host timing uses `time.perf_counter_ns` (integer nanoseconds, monotonic). pytest-benchmark
is pointed at `perf_counter_seconds` (pytest.ini), so its per-round samples come from the same
clock as our stage timings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

now_ns = time.perf_counter_ns


def perf_counter_seconds() -> float:
    """perf_counter_ns in seconds: the timer pytest-benchmark uses for every round."""
    return time.perf_counter_ns() * 1e-9


@dataclass(frozen=True)
class RoundPolicy:
    """How many rounds to run: warmup first (excluded), then a time budget within bounds."""

    warmup: int = 10
    min_rounds: int = 20
    max_rounds: int = 2000
    max_time_s: float = 2.0
    rounds: int | None = None  # a fixed count overrides the time budget

    def __post_init__(self) -> None:
        if self.warmup < 0 or self.min_rounds < 1 or self.max_rounds < self.min_rounds or self.max_time_s <= 0:
            raise ValueError(f"inconsistent round policy: {self}")

    def warm_up(self, target: Callable[[], object]) -> int:
        """Run the warmup rounds, then return how many measured rounds to run."""
        durations = []
        for _ in range(max(self.warmup, 1)):
            start = now_ns()
            target()
            durations.append(now_ns() - start)
        if self.rounds is not None:
            return self.rounds
        # The fastest of the later warmup rounds is the best estimate of steady state.
        estimate_s = max(min(durations[len(durations) // 2 :]) * 1e-9, 1e-9)
        return int(min(self.max_rounds, max(self.min_rounds, self.max_time_s // estimate_s)))

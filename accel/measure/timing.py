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


def time_calls(target: Callable[[], object], iterations: int, warmup: int) -> list[float]:
    """Per-call durations in seconds of a plain loop (outside pytest): warmup calls excluded."""
    for _ in range(warmup):
        target()
    samples = []
    for _ in range(iterations):
        start = now_ns()
        target()
        samples.append((now_ns() - start) * 1e-9)
    return samples


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
        """Run the warmup rounds, then return how many measured rounds to run. With a fixed count
        exactly `warmup` rounds run (0 allowed: a slow one-shot target such as a simulation); the
        time budget needs at least one to estimate a round's duration."""
        if self.rounds is not None:
            for _ in range(self.warmup):
                target()
            return self.rounds
        durations = time_calls(target, max(self.warmup, 1), warmup=0)
        # The fastest of the later warmup rounds is the best estimate of steady state.
        estimate_s = max(min(durations[len(durations) // 2 :]), 1e-9)
        return int(min(self.max_rounds, max(self.min_rounds, self.max_time_s // estimate_s)))


class WallClockOnly:
    """Device timer for CPU runners: wall clock is the device clock, nothing extra to record."""

    def wrap(self, enqueue: Callable[[], object], synchronize: Callable[[], None]) -> Callable[[], object]:
        def target() -> object:
            outputs = enqueue()
            synchronize()
            return outputs

        return target

    def samples_s(self, last: int) -> list[float] | None:
        return None


class CudaEventTimer:
    """CUDA events recorded on the runner's stream around the enqueued work of every round.

    Events are created up front (no allocation in the timed region); elapsed times are read
    after the run. Wall time (pedantic) includes the host's launch and sync costs; event time is
    what the GPU spent between the two events."""

    def __init__(self, stream, capacity: int) -> None:
        import torch

        self.stream = stream
        self.pairs = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(capacity)]
        self.used = 0

    def wrap(self, enqueue: Callable[[], object], synchronize: Callable[[], None]) -> Callable[[], object]:
        def target() -> object:
            start, end = self.pairs[self.used % len(self.pairs)]
            start.record(self.stream)
            outputs = enqueue()
            end.record(self.stream)
            synchronize()
            self.used += 1
            return outputs

        return target

    def samples_s(self, last: int) -> list[float]:
        count = min(last, self.used, len(self.pairs))
        indices = [(self.used - count + i) % len(self.pairs) for i in range(count)]
        return [self.pairs[i][0].elapsed_time(self.pairs[i][1]) * 1e-3 for i in indices]


def device_timer_for(stream, policy: RoundPolicy) -> WallClockOnly | CudaEventTimer:
    """Chosen once per row: CUDA events when the runner has a CUDA stream, else wall clock only."""
    if stream is None:
        return WallClockOnly()
    capacity = policy.warmup + max(policy.max_rounds, policy.rounds or 0) + 1
    return CudaEventTimer(stream, capacity)

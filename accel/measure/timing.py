"""Clocks and the round planner shared by every benchmark.

All host timing uses `time.perf_counter_ns` (integer nanoseconds, monotonic). pytest-benchmark
is pointed at `perf_counter_seconds` (pytest.ini), so its per-round samples come from the same
clock as our stage timings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from accel.measure.intervals import fewest_bounding_samples, rounds_for_tolerance

P99 = 0.99
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
    """How many measured rounds a row runs, driven by the statistic it reports.

    Warmup rounds run first and are excluded. A fixed `rounds` count overrides the plan. Otherwise
    the time cap `max_time_s` (within `min_rounds`..`max_rounds`) bounds the measured rounds, and
    inside it the rounds stop once p99's 95% interval should be within `p99_tolerance`:
    pytest-benchmark's pedantic takes its round count up front, so the count comes from a pilot
    (a Stein-style two-stage plan) of `pilot_share` of the cap, which also extends the warmup.
    Time goes where it buys a tight p99: a row the pilot shows cannot get there within the cap
    runs as many rounds as the pilot did, not the whole cap. Where the pilot would be too short to
    bound p99 at all (fewer than 368 rounds) there is none, and the whole cap is spent. Whether the
    measured p99 is tight is judged afterwards on the measured rounds; loose rows are flagged.
    """

    warmup: int = 10
    min_rounds: int = 10
    max_rounds: int = 20_000
    max_time_s: float = 1.5
    rounds: int | None = None
    p99_tolerance: float = 0.05
    pilot_share: float = 0.2

    def __post_init__(self) -> None:
        if (self.warmup < 0 or self.min_rounds < 1 or self.max_rounds < self.min_rounds or self.max_time_s <= 0
                or not 0 < self.p99_tolerance < 1 or not 0 <= self.pilot_share <= 1):  # fmt: skip
            raise ValueError(f"inconsistent round policy: {self}")

    def warm_up(self, target: Callable[[], object]) -> int:
        """Run the warmup rounds (and the pilot, where it runs), then return how many measured
        rounds to run. With a fixed count exactly `warmup` rounds run (0 allowed: a slow one-shot
        target such as a simulation); the plan needs at least one to estimate a round's duration."""
        if self.rounds is not None:
            for _ in range(self.warmup):
                target()
            return self.rounds
        durations = time_calls(target, max(self.warmup, 1), warmup=0)
        # The fastest of the later warmup rounds is the best estimate of steady state.
        estimate_s = max(min(durations[len(durations) // 2 :]), 1e-9)
        cap = int(min(self.max_rounds, max(self.min_rounds, self.max_time_s // estimate_s)))
        pilot_rounds = int(self.pilot_share * cap)
        if pilot_rounds < fewest_bounding_samples(P99):
            return cap
        pilot = time_calls(target, pilot_rounds, warmup=0)
        needed = rounds_for_tolerance(np.asarray(pilot), P99, self.p99_tolerance, cap)
        return pilot_rounds if needed is None else max(self.min_rounds, needed)


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

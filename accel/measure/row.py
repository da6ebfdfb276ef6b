"""The one protocol every benchmark row follows: warm-up, timed rounds, memory, energy, record.

The timed rounds are run by whatever the caller passes as `TimedRounds` (the suite passes
pytest-benchmark's `benchmark.pedantic`, wrapped), so this module never imports pytest. What a
row reports once its rounds have run is its `outcome`: usually `FromRounds` (latency from the
measured rounds); rows whose latency comes from elsewhere (a simulation's clock cycles, a tool's
summary) pass their own, and still go through the same warm-up, memory scope and record builder.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from accel.matrix import Combination
from accel.measure.energy import energy_section, gpu_state, meter_for, top_up
from accel.measure.footprint import Footprint, RowMemory
from accel.measure.intervals import interval_section
from accel.measure.load import load_fields, read_load
from accel.measure.record import Timing, benchmark_record, breakdown
from accel.measure.stats import Stats
from accel.measure.timing import RoundPolicy

# Runs `rounds` measured rounds of a target (no warm-up of its own) and returns their durations in
# seconds, or None where timing is disabled (pytest --benchmark-disable).
TimedRounds = Callable[[Callable[[], object], int], Sequence[float] | None]


@dataclass(frozen=True)
class Row:
    """What one row times, and the identity its record carries."""

    combo: Combination
    kind: str
    weights: str
    target: Callable[[], object]


@dataclass(frozen=True)
class Outcome:
    """What a row reports once its rounds have run."""

    timing: Timing
    notes: Mapping[str, object]
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FromRounds:
    """The usual outcome: latency from the measured rounds; stage and device-clock samples taken
    by the target are cut to those same rounds (warm-up rounds dropped)."""

    items_per_round: int
    notes: Mapping[str, object]
    extra: Mapping[str, object] = field(default_factory=dict)
    stages: Callable[[int], Mapping[str, Sequence[float]]] | None = None
    device_samples: Callable[[int], Sequence[float] | None] | None = None

    def __call__(self, samples_s: Sequence[float], rounds: int) -> Outcome:
        extra = dict(self.extra)
        if self.stages is not None:
            extra["breakdown_ms"] = breakdown(self.stages(rounds))
        on_device = self.device_samples(rounds) if self.device_samples is not None else None
        if on_device:
            extra["device_latency_ms"] = Stats(on_device).as_dict()
        return Outcome(Timing.from_samples(samples_s, self.items_per_round), self.notes, extra)


def measure_row(
    row: Row,
    outcome: Callable[[Sequence[float], int], Outcome],
    timed_rounds: TimedRounds,
    policy: RoundPolicy,
    footprint: Footprint | None = None,
) -> dict[str, object] | None:
    """Warm up, time the measured rounds, take the row's memory, build its record (None when
    timing is disabled). Without a `footprint` (no runner), the baseline is taken here."""
    if footprint is None:
        _, footprint = Footprint.measure(lambda: None, row.combo.device)
    load_before = read_load(row.combo.device)
    meter, no_meter = meter_for(row.combo.device)
    state_before = gpu_state() if row.combo.device == "cuda" else None
    extra_rounds = 0
    with RowMemory(footprint) as memory:
        rounds = policy.warm_up(row.target)
        if meter is not None:
            meter.start()
            started = time.perf_counter()
        try:
            samples_s = timed_rounds(row.target, rounds)
            # The outcome takes the target's last `rounds` stage samples: read them before any energy top-up.
            result = outcome(samples_s, rounds) if samples_s is not None else None
            if meter is not None and samples_s is not None:
                extra_rounds = top_up(row.target, started)
        finally:
            reading = meter.stop() if meter is not None else None
    if samples_s is None or result is None:
        return None
    system_load = load_fields(load_before, read_load(row.combo.device))
    # items per second x the timed seconds = items per round x rounds; the top-up's rounds carry as many
    images = result.timing.throughput_ips * sum(samples_s) * (rounds + extra_rounds) / rounds
    extra = {**result.extra, "system_load": system_load, "energy": energy_section(reading, no_meter, images, extra_rounds)}
    if state_before is not None:
        extra["gpu_state"] = {"before": state_before, "after": gpu_state()}
    if result.timing.intervals:  # a row's p99 is judged against the plan's tolerance, loose ones flagged
        extra["latency_ci_ms"] = interval_section(result.timing.intervals, policy.p99_tolerance)
    return benchmark_record(row.combo, row.kind, row.weights, result.timing, memory.fields(), result.notes, policy.warmup, extra)

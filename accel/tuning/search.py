"""Measure a row's variants against each other and pick the winner.

Every variant runs the row's own timed call (`infer` on an uploaded batch, as `test_inference`),
after its drift gate: a variant that changes numerics beyond the row's threshold is out. Variants
are timed round-robin in blocks, so load from other processes on a shared machine falls on all of
them alike. The fastest variant wins only if its p50 is at least `MIN_GAIN` below the default's
and their 95% p50 intervals (order statistics) do not overlap: with a dozen variants the fastest
of them beats the default by noise alone, and a knob that wins by noise is not worth a config that
differs from what everyone else runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from accel.backends.base import Runner
from accel.matrix import Combination
from accel.measure.intervals import PercentileInterval, percentile_interval
from accel.measure.stats import Stats
from accel.measure.timing import time_calls
from accel.tuning.space import describe

BLOCK = 20  # rounds per variant per turn
MIN_GAIN = 0.03  # a non-default config must be at least 3% faster at p50 than the default


@dataclass(frozen=True)
class Variant:
    """One measured configuration of a row."""

    config: dict[str, object]
    stats: Stats | None  # None when the variant was rejected before timing
    rejected: str | None = None  # why it cannot win: drift gate, an error building or running it

    @property
    def p50(self) -> float:
        if self.stats is None:
            raise ValueError(f"config {describe(self.config)} was not timed: {self.rejected}")
        return self.stats.p50

    def p50_interval(self) -> PercentileInterval:
        if self.stats is None:
            raise ValueError(f"config {describe(self.config)} was not timed: {self.rejected}")
        return percentile_interval(np.sort(self.stats.samples_ms), 0.5, self.stats.p50)

    def as_dict(self) -> dict[str, object]:
        if self.stats is None:
            return {"config": self.config, "latency_ms": None, "p50_interval_ms": None, "rejected": self.rejected}
        interval = self.p50_interval()
        timing = self.stats.as_dict(("p50", "p90", "p99", "mean", "n"))
        return {"config": self.config, "latency_ms": timing, "p50_interval_ms": [interval.low, interval.high], "rejected": self.rejected}


def choose(variants: Sequence[Variant], min_gain: float = MIN_GAIN) -> Variant:
    """The default (first) unless the fastest accepted variant's p50 is at least `min_gain` below
    the default's and its p50 interval lies wholly below the default's."""
    default = variants[0]
    accepted = [variant for variant in variants if variant.rejected is None and variant.stats is not None]
    best = min(accepted, key=lambda variant: variant.p50)
    if best is default or best.p50 > (1 - min_gain) * default.p50:
        return default
    best_high, default_low = best.p50_interval().high, default.p50_interval().low
    separated = best_high is not None and default_low is not None and best_high < default_low
    return best if separated else default


def interleaved_samples(targets: Sequence[Callable[[], object]], rounds: int, warmup: int, block: int = BLOCK) -> list[list[float]]:
    """Seconds per call for each target: `warmup` calls each first, then blocks of `block` calls
    taken in turn until every target has `rounds` samples."""
    for target in targets:
        time_calls(target, 0, warmup)
    samples: list[list[float]] = [[] for _ in targets]
    while len(samples[0]) < rounds:
        size = min(block, rounds - len(samples[0]))
        for index, target in enumerate(targets):
            samples[index].extend(time_calls(target, size, warmup=0))
    return samples


def same_as_earlier(knobs: dict[str, object], earlier: Sequence[dict[str, object] | None], combos: Sequence[Combination]) -> str | None:
    """Why a variant need not be measured: an earlier variant runs the very same effective knobs
    (channels_last 'auto' is 'on' for a CUDA fp16 row, for one)."""
    for index, other in enumerate(earlier):
        if other == knobs:
            return f"same configuration as {describe(combos[index].config)}"
    return None


def tune_row(
    combos: Sequence[Combination],
    create: Callable[[Combination], Runner],
    judge: Callable[[Runner], str | None],
    batch: np.ndarray,
    rounds: int,
    warmup: int,
    progress: Callable[[str], None] = print,
) -> tuple[Variant, list[Variant]]:
    """Winner and every variant of one row (`combos[0]` the default). `judge` returns why a
    prepared runner fails its quality gates, or None. The default must build and pass."""
    runners: list[Runner | None] = []
    rejected: list[str | None] = []
    effective: list[dict[str, object] | None] = []
    try:
        for index, combo in enumerate(combos):
            progress(f"{combo.test_id}: variant {index + 1}/{len(combos)} {describe(combo.config)}: building and checking drift")
            runner, knobs = None, None
            try:
                runner = create(combo)
                knobs = runner.effective_knobs()
                reason = same_as_earlier(knobs, effective, combos)
                if reason is None:
                    reason = judge(runner)
                    runner.prepare(batch)  # after the evaluation, which may prepare other shapes
            except Exception as exc:  # a knob this runtime build refuses is a finding, not a crash
                if index == 0:
                    raise
                if runner is not None:
                    runner.close()
                runner, reason = None, f"{type(exc).__name__}: {exc}"
            effective.append(knobs)
            if reason is not None and index == 0:
                raise ValueError(f"{combo.test_id}: the untuned default fails its quality gate: {reason}")
            if reason is not None and runner is not None:
                runner.close()
                runner = None
            runners.append(runner)
            rejected.append(reason)
        live = [(index, runner) for index, runner in enumerate(runners) if runner is not None]
        inputs = [runner.upload(batch) for _, runner in live]
        targets = [lambda r=runner, x=x: r.infer(x) for (_, runner), x in zip(live, inputs, strict=True)]
        progress(f"{combos[0].test_id}: timing {len(live)} variants, {rounds} rounds each, in blocks of {BLOCK}")
        measured = dict(zip((index for index, _ in live), interleaved_samples(targets, rounds, warmup), strict=True))
    finally:
        for runner in runners:
            if runner is not None:
                runner.close()
    found = [
        Variant(dict(combo.config), Stats(measured[index]) if index in measured else None, rejected[index])
        for index, combo in enumerate(combos)
    ]
    return choose(found), found

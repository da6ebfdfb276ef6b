"""Memory that belongs to a row: what its runner added, and its peak above the level before it.

Process-wide figures are useless per row (a run holds every library, cached artifacts and earlier
runners), so both are differences against a baseline taken, settled, just before the runner was
created. Host: RSS. CUDA: device memory in use (cudaMemGetInfo, which sees ONNX Runtime's and
TensorRT's allocations) plus torch's allocator peak, which cudaMemGetInfo cannot show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from accel.measure.memory import (
    DeviceSnapshot,
    current_rss_mb,
    device_peak_reserved_mb,
    device_snapshot,
    peak_rss_mb,
    reset_device_peak,
    reset_peak_rss,
    settle,
)

Made = TypeVar("Made")
DIGITS = 3  # MiB to the KiB


@dataclass(frozen=True)
class Footprint:
    """The settled level just before a runner was created, and what creating it added."""

    device: str
    baseline_rss_mb: float
    runner_rss_mb: float
    baseline_device: DeviceSnapshot | None = None
    runner_device_mb: float | None = None

    @classmethod
    def measure(cls, create: Callable[[], Made], device: str) -> tuple[Made, Footprint]:
        """Call `create` between two settled readings. Builds that happen inside it (exports,
        imports) would count: run it once beforehand (`RunnerPool` does) so this call only loads."""
        settle(device)
        rss_before, device_before = current_rss_mb(), device_snapshot(device)
        made = create()
        settle(device)
        rss_after, device_after = current_rss_mb(), device_snapshot(device)
        runner_device = None
        if device_before is not None and device_after is not None:
            runner_device = device_after.used_mb - device_before.used_mb
        return made, cls(device, rss_before, rss_after - rss_before, device_before, runner_device)


class RowMemory:
    """Context manager around a row's warm-up and timed rounds: its peaks above the footprint's baseline.

    The host peak is the kernel's high-water mark, reset on entry (`rss_scoped`). Where the reset
    is impossible the peak is the larger of the RSS read on entry and on exit: a lower bound, and
    `rss_scoped` is False. The device peak is torch's allocator peak plus what other libraries
    hold at the end (their arenas only grow, so the end is their peak)."""

    def __init__(self, footprint: Footprint) -> None:
        self.footprint = footprint
        self.rss_scoped = False
        self.process_peak_rss_mb = 0.0
        self.peak_device_mb: float | None = None
        self._entry_rss_mb = 0.0

    def __enter__(self) -> RowMemory:
        settle(self.footprint.device)
        self._entry_rss_mb = current_rss_mb()
        self.rss_scoped = reset_peak_rss() and peak_rss_mb() is not None
        reset_device_peak(self.footprint.device)
        return self

    def __exit__(self, *exc_info: object) -> None:
        sampled = max(self._entry_rss_mb, current_rss_mb())
        high_water_mark = peak_rss_mb() if self.rss_scoped else None
        self.process_peak_rss_mb = sampled if high_water_mark is None else high_water_mark
        baseline = self.footprint.baseline_device
        end = device_snapshot(self.footprint.device)
        if baseline is not None and end is not None:
            torch_peak = device_peak_reserved_mb() - baseline.reserved_mb
            self.peak_device_mb = torch_peak + end.outside_torch_mb - baseline.outside_torch_mb

    def fields(self) -> dict[str, float | bool | None]:
        """The record's `memory` section (MiB)."""
        return {
            "runner_rss_mb": _rounded(self.footprint.runner_rss_mb),
            "peak_rss_above_baseline_mb": _rounded(self.process_peak_rss_mb - self.footprint.baseline_rss_mb),
            "process_peak_rss_mb": _rounded(self.process_peak_rss_mb),
            "rss_scoped": self.rss_scoped,
            "runner_device_mb": _rounded(self.footprint.runner_device_mb),
            "peak_device_above_baseline_mb": _rounded(self.peak_device_mb),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)

"""Energy over a row's timed rounds, and the GPU's state around them.

Which runtime and precision to ship is also a power bill: joules per image and images per kWh
sit beside latency in each row. Sources, best first:

- CUDA rows: NVML's total-energy counter (`nvmlDeviceGetTotalEnergyConsumption`, mJ since the
  driver loaded; Volta and later). Where the counter is not supported, power readings
  (`nvmlDeviceGetPowerUsage`) sampled on a thread and integrated (trapezoid); the record says which.
- CPU rows: the RAPL package counters under /sys/class/powercap (µJ, wrapping at
  `max_energy_range_uj`). They count the whole package, other processes included, which the
  row's `system_load` section lets a reader judge. Not readable (no RAPL, a VM, no permission):
  the row records why.

NVML's counter and power readings update every few tens of milliseconds, so a short window is
quantised: on the H200 run 27 of 263 rows timed their rounds in under 0.05 s and read 0 J
(docs/results/h200). A row whose timed rounds end sooner than MIN_WINDOW_S keeps running its
target, untimed, until the window is that long (`extra_rounds` in the record), and a window in
which the counter did not move is reported as unavailable, never as zero joules.
The GPU is NVML device 0, the device the suite runs on (as `accel.measure.load`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

RAPL_ROOT = Path("/sys/class/powercap")
MIN_WINDOW_S = 1.0  # the shortest window energy is read over: tens of counter updates
POWER_SAMPLE_S = 0.02  # NVML refreshes power about every 20-100 ms; a faster thread only takes the GIL from the timed rounds
JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True)
class EnergyReading:
    """Energy used between `start` and `stop`, over `seconds`, and where the figure came from."""

    joules: float
    seconds: float
    source: str


class EnergyMeter(Protocol):
    source: str

    def start(self) -> None: ...

    def stop(self) -> EnergyReading: ...


class CounterMeter:
    """A cumulative energy counter read before and after; `wrap_joules` is where it rolls over."""

    def __init__(self, read_joules: Callable[[], float], source: str, wrap_joules: float | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:  # fmt: skip
        self.read_joules, self.source, self.wrap_joules, self.clock = read_joules, source, wrap_joules, clock
        self._start: tuple[float, float] | None = None

    def start(self) -> None:
        self._start = (self.read_joules(), self.clock())

    def stop(self) -> EnergyReading:
        if self._start is None:
            raise RuntimeError("stop() before start()")
        (joules_before, t_before), joules_after, t_after = self._start, self.read_joules(), self.clock()
        used = joules_after - joules_before
        if used < 0 and self.wrap_joules:  # one rollover (a RAPL package wraps every few minutes at most)
            used += self.wrap_joules
        return EnergyReading(used, t_after - t_before, self.source)


class PowerSampleMeter:
    """Power readings (W) taken on a thread every `interval_s`, integrated over the window."""

    def __init__(self, read_watts: Callable[[], float], source: str, interval_s: float = POWER_SAMPLE_S,
                 clock: Callable[[], float] = time.perf_counter) -> None:  # fmt: skip
        self.read_watts, self.source, self.interval_s, self.clock = read_watts, source, interval_s, clock
        self._samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._samples.append((self.clock(), self.read_watts()))
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        self._samples, self._stop = [(self.clock(), self.read_watts())], threading.Event()
        self._thread = threading.Thread(target=self._sample, name="power-samples", daemon=True)
        self._thread.start()

    def stop(self) -> EnergyReading:
        if self._thread is None:
            raise RuntimeError("stop() before start()")
        self._stop.set()
        self._thread.join()
        self._samples.append((self.clock(), self.read_watts()))
        return EnergyReading(integrate(self._samples), self._samples[-1][0] - self._samples[0][0], self.source)


def integrate(samples: Sequence[tuple[float, float]]) -> float:
    """Joules from (time s, power W) samples, trapezoid rule."""
    return sum((t1 - t0) * (w0 + w1) / 2 for (t0, w0), (t1, w1) in zip(samples, samples[1:]))


def nvml_meter(index: int = 0) -> tuple[EnergyMeter | None, str | None]:
    """NVML's energy counter, or its power readings where the counter is unsupported; else why not."""
    try:
        import pynvml
    except ImportError:
        return None, "no pynvml (pip install nvidia-ml-py, in the .[gpu] extra)"
    try:
        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    except pynvml.NVMLError as exc:
        return None, f"NVML unavailable: {exc}"
    try:
        pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        return CounterMeter(lambda: pynvml.nvmlDeviceGetTotalEnergyConsumption(handle) / 1e3, "nvml energy counter"), None
    except pynvml.NVMLError:
        pass
    try:
        pynvml.nvmlDeviceGetPowerUsage(handle)
    except pynvml.NVMLError as exc:
        return None, f"NVML has neither an energy counter nor power readings for GPU {index}: {exc}"
    return PowerSampleMeter(lambda: pynvml.nvmlDeviceGetPowerUsage(handle) / 1e3, "nvml power samples (integrated)"), None


def rapl_meter(root: Path = RAPL_ROOT) -> tuple[EnergyMeter | None, str | None]:
    """The sum of the RAPL package zones' counters, or why they cannot be read."""
    zones = sorted(path for path in root.glob("*rapl:*") if path.name.count(":") == 1)  # not the sub-zones (core, dram)
    packages = [zone for zone in zones if _read(zone / "name", "").startswith("package")]
    if not packages:
        return None, f"no RAPL package zone under {root} (not exposed on this machine or VM)"

    def read_joules() -> float:
        return sum(int(_read(zone / "energy_uj")) for zone in packages) / 1e6

    try:
        wrap = sum(int(_read(zone / "max_energy_range_uj")) for zone in packages) / 1e6
        read_joules()
    except (OSError, ValueError) as exc:
        return None, f"RAPL counters under {root} not readable: {exc}"
    return CounterMeter(read_joules, f"rapl {'+'.join(zone.name for zone in packages)}", wrap_joules=wrap), None


def _read(path: Path, default: str | None = None) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        if default is None:
            raise
        return default


def meter_for(device: str) -> tuple[EnergyMeter | None, str | None]:
    """The meter a row on `device` uses, or why it has none."""
    if device == "cuda":
        return nvml_meter()
    if device == "cpu":
        return rapl_meter()
    return None, f"no energy source for device {device!r}"


ENERGY_FIELDS = ("source", "unavailable", "joules", "seconds", "images", "extra_rounds", "avg_power_w", "joules_per_image", "images_per_kwh")


def top_up(target: Callable[[], object], started: float, clock: Callable[[], float] = time.perf_counter) -> int:
    """Run `target` until MIN_WINDOW_S have passed since `started`; how many extra rounds that took."""
    extra = 0
    while clock() - started < MIN_WINDOW_S:
        target()
        extra += 1
    return extra


def energy_section(reading: EnergyReading | None, reason: str | None, images: float, extra_rounds: int = 0) -> dict[str, object]:
    """The record's `energy` section: per image and per kWh, or (all None) why there is none."""
    if reading is not None and reading.seconds > 0 and reading.joules <= 0:
        reason = f"{reading.source} did not advance over the {reading.seconds:.3g} s window"
        reading = None
    if reading is None or images <= 0 or reading.seconds <= 0:
        return {**dict.fromkeys(ENERGY_FIELDS), "unavailable": reason or "no images or an empty window"}
    per_image = reading.joules / images
    return {
        "source": reading.source,
        "unavailable": None,
        "joules": reading.joules,
        "seconds": reading.seconds,
        "images": images,
        "extra_rounds": extra_rounds,
        "avg_power_w": reading.joules / reading.seconds,
        "joules_per_image": per_image,
        "images_per_kwh": JOULES_PER_KWH / per_image if per_image > 0 else None,
    }


def gpu_state(index: int = 0) -> dict[str, object] | None:
    """SM clock, temperature and power of the GPU now (None without pynvml): read before and after
    a row, they show a throttled or idle-clocked row."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        return {
            "sm_clock_mhz": pynvml.nvmlDeviceGetClockInfo(handle, pynvml.NVML_CLOCK_SM),
            "temperature_c": pynvml.nvmlDeviceGetTemperature(handle, pynvml.NVML_TEMPERATURE_GPU),
            "power_w": pynvml.nvmlDeviceGetPowerUsage(handle) / 1e3,
        }
    except pynvml.NVMLError as exc:
        return {"error": str(exc)}

"""Is the machine busy while a row is measured? Load average, CPU clock, other GPU processes.

A row timed while another job fights for the cores is not a fact about the backend (a digits
torch row measured 15-40 ms on a busy machine against 0.015 ms quiet): like perf_analyzer's
"unstable" flag, such rows are marked, not hidden. Readings are taken before and after the row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadReading:
    loadavg_1m: float | None
    cpu_mhz: float | None
    other_gpu_processes: int | None  # None: not known (no NVML, or a CPU row)


def read_load(device: str) -> LoadReading:
    """The 1-minute load average, the mean CPU clock and, on CUDA, how many other processes use GPU 0."""
    import psutil

    try:
        loadavg: float | None = os.getloadavg()[0]
    except OSError:
        loadavg = None
    frequency = psutil.cpu_freq()
    return LoadReading(loadavg, round(frequency.current, 1) if frequency else None, other_gpu_processes() if device == "cuda" else None)


def other_gpu_processes() -> int | None:
    """Processes other than this one with a context on GPU 0 (NVML), None where NVML is absent."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        running = pynvml.nvmlDeviceGetComputeRunningProcesses(handle) + pynvml.nvmlDeviceGetGraphicsRunningProcesses(handle)
    except pynvml.NVMLError:
        return None
    return len({process.pid for process in running} - {os.getpid()})


def busy_reason(before: LoadReading, after: LoadReading, cores: int) -> str | None:
    """Why the row was measured on a busy machine, or None when it was not."""
    loads = [value for value in (before.loadavg_1m, after.loadavg_1m) if value is not None]
    if loads and max(loads) > cores:
        return f"load average {max(loads):.2f} > {cores} cores"
    others = [value for value in (before.other_gpu_processes, after.other_gpu_processes) if value]
    if others:
        return f"{max(others)} other process(es) on the GPU"
    return None


def load_fields(before: LoadReading, after: LoadReading, cores: int | None = None) -> dict[str, object]:
    """The record's `system_load` section."""
    cores = cores or os.cpu_count() or 1
    return {
        "loadavg_1m": [before.loadavg_1m, after.loadavg_1m],
        "cpu_mhz": [before.cpu_mhz, after.cpu_mhz],
        "other_gpu_processes": [before.other_gpu_processes, after.other_gpu_processes],
        "cores": cores,
        "busy": busy_reason(before, after, cores),
    }

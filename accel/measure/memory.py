"""Memory readings: this process's resident set (now and its peak) and CUDA device memory.

On Linux, writing 5 to /proc/self/clear_refs resets the kernel's RSS high-water mark (VmHWM) to
the current RSS, so a peak can be scoped to one block of code. Where that write fails, no scoped
peak exists and callers fall back to sampling (`accel.measure.footprint`).

`settle` runs before every reading that is compared with another: freed memory that the
allocators kept (Python's garbage, glibc's free lists, torch's CUDA cache) would otherwise hide
new allocations, which reuse it without growing the RSS, and inflate the level they are compared with.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import psutil

MIB = 1024 * 1024
PROC_STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def current_rss_mb() -> float:
    """Resident set size of this process now, in MiB."""
    return psutil.Process().memory_info().rss / MIB


def reset_peak_rss() -> bool:
    """Reset the RSS high-water mark to the current RSS; False where the OS does not allow it."""
    try:
        CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float | None:
    """VmHWM in MiB: the peak RSS since the last reset (None where /proc has no VmHWM)."""
    try:
        lines = PROC_STATUS.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim (returns free heap pages to the OS), or None on another C library."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def settle(device: str) -> None:
    """Make freed memory non-resident: collect garbage, trim the C heap, empty torch's CUDA cache."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    if device == "cuda":
        import torch

        torch.cuda.synchronize()
        torch.cuda.empty_cache()


@dataclass(frozen=True)
class DeviceSnapshot:
    """CUDA memory at one moment: `used_mb` is device-wide (cudaMemGetInfo: total - free, every
    process and library); `reserved_mb` is torch's caching allocator in this process."""

    used_mb: float
    reserved_mb: float

    @property
    def outside_torch_mb(self) -> float:
        """What other libraries (ONNX Runtime, TensorRT, the CUDA context) hold on the device."""
        return self.used_mb - self.reserved_mb


def device_snapshot(device: str) -> DeviceSnapshot | None:
    """CUDA memory now for a CUDA row; None for any other device."""
    if device != "cuda":
        return None
    import torch

    free, total = torch.cuda.mem_get_info()
    return DeviceSnapshot((total - free) / MIB, torch.cuda.memory_reserved() / MIB)


def reset_device_peak(device: str) -> None:
    """Start a new torch allocator peak for a CUDA row (no-op elsewhere)."""
    if device == "cuda":
        import torch

        torch.cuda.reset_peak_memory_stats()


def device_peak_reserved_mb() -> float:
    """torch's caching-allocator peak since `reset_device_peak`."""
    import torch

    return torch.cuda.max_memory_reserved() / MIB

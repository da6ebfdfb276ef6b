"""Peak memory of one benchmark: host RSS high-water mark and GPU memory.

GPU: `gpu_peak_mb` is torch's allocator peak (torch, torch.compile, and the I/O buffers of every
GPU runner); ONNX Runtime and TensorRT allocate outside it, so `gpu_used_mb` adds the device's
memory in use at the end of the benchmark (all processes, as cudaMemGetInfo reports it).

On Linux, writing 5 to /proc/self/clear_refs resets the kernel's RSS high-water mark (VmHWM),
so each benchmark reports its own peak rather than the process's lifetime maximum.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

PROC_STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak_rss() -> bool:
    """Reset the RSS high-water mark; False where the OS does not allow it."""
    try:
        CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak RSS in MiB since the last reset (Linux) or since process start (elsewhere)."""
    if PROC_STATUS.exists():
        for line in PROC_STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / (1024 * 1024) if sys.platform == "darwin" else usage / 1024


class PeakMemory:
    """Context manager: the host and GPU peaks reached inside the block."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.rss_mb: float | None = None
        self.gpu_mb: float | None = None
        self.gpu_used_mb: float | None = None
        self.rss_is_scoped = False

    def __enter__(self) -> PeakMemory:
        self.rss_is_scoped = reset_peak_rss()
        if self.device == "cuda":
            import torch

            torch.cuda.reset_peak_memory_stats()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.rss_mb = peak_rss_mb()
        if self.device == "cuda":
            import torch

            self.gpu_mb = torch.cuda.max_memory_allocated() / (1024 * 1024)
            free, total = torch.cuda.mem_get_info()
            self.gpu_used_mb = (total - free) / (1024 * 1024)

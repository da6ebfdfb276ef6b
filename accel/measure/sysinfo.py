"""What machine a run happened on: CPU, cores, OS, library versions, GPU. Goes into machine_info."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path

VERSIONED_PACKAGES = (
    "torch", "torchvision", "onnx", "onnxruntime", "onnxruntime-gpu", "numpy", "pillow",
    "scikit-image", "scikit-learn", "pytest-benchmark", "tensorrt", "openvino", "cocotb",
)  # fmt: skip
# CPU features that decide which INT8/BF16 kernels run.
INTERESTING_CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8", "amx_bf16")


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return []
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return [flag for flag in INTERESTING_CPU_FLAGS if flag in flags]
    return []


def package_versions() -> dict[str, str]:
    versions = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def usable_cores() -> int:
    """Cores this process may run on (its affinity; all logical cores where that is unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def gpu_info() -> list[dict[str, object]]:
    """One entry per visible CUDA device (empty without CUDA)."""
    try:
        import torch
    except ImportError:
        return []
    if not torch.cuda.is_available():
        return []
    devices = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        devices.append(
            {
                "name": props.name,
                "compute_capability": f"{props.major}.{props.minor}",
                "memory_gb": round(props.total_memory / 1024**3, 1),
                "cuda_runtime": torch.version.cuda,
            }
        )
    return devices


def collect() -> dict[str, object]:
    """Everything we record about the machine, as JSON-ready values."""
    import psutil

    info: dict[str, object] = {
        "cpu_model": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cores_physical": psutil.cpu_count(logical=False),
        "cores_logical": psutil.cpu_count(logical=True),
        "cpu_affinity": usable_cores(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "gpus": gpu_info(),
    }
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return info

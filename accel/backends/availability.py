"""Why a valid combination cannot run on this machine (None when it can).

Kept apart from `accel.matrix` so the table stays pure data and this module owns every probe
of the environment (installed modules, devices, execution providers).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
from functools import cache

from accel.matrix import Combination


@cache
def cuda_available() -> bool:
    """True when torch sees at least one CUDA device."""
    import torch

    return bool(torch.cuda.is_available())


@cache
def module_missing_reason(module: str, install_hint: str) -> str | None:
    """A skip reason when `module` cannot be imported, else None."""
    if importlib.util.find_spec(module) is None:
        return f"python module '{module}' is not installed ({install_hint})"
    return None


def conflicting_onnxruntime_reason() -> str | None:
    """onnxruntime and onnxruntime-gpu share one import name: installed into the same site folder,
    each overwrites the other's files. (In separate folders, the first on sys.path wins cleanly.)"""
    folders = {}
    for dist in ("onnxruntime", "onnxruntime-gpu"):
        try:
            folders[dist] = str(importlib.metadata.distribution(dist).locate_file(""))
        except importlib.metadata.PackageNotFoundError:
            pass
    if len(folders) == 2 and folders["onnxruntime"] == folders["onnxruntime-gpu"]:
        return f"onnxruntime and onnxruntime-gpu are both installed in {folders['onnxruntime']}; pip uninstall one of them"
    return None


@cache
def onnxruntime_providers() -> tuple[str, ...]:
    """Execution providers this onnxruntime build offers."""
    import onnxruntime

    return tuple(onnxruntime.get_available_providers())


@cache
def tensorrt_missing_reason() -> str | None:
    """None when tensorrt or tensorrt_rtx imports; else why TensorRT rows cannot run."""
    if any(importlib.util.find_spec(name) is not None for name in ("tensorrt", "tensorrt_rtx")):
        return None
    return (
        "python module 'tensorrt' (or 'tensorrt_rtx') is not installed: its wheels come from NVIDIA's "
        "index (pip install -e '.[gpu]' --extra-index-url https://pypi.nvidia.com)"
    )


def skip_reason(combo: Combination) -> str | None:
    """The exact reason `combo` cannot run here, or None when it can."""
    if combo.device == "cuda" and not cuda_available():
        return "no CUDA device: torch.cuda.is_available() is False on this machine"
    if combo.backend == "fpga":
        from accel.fpga.sim import first_available_simulator

        simulator, reason = first_available_simulator()
        return None if simulator else f"no HDL simulator for the FPGA row ({reason}); or pass --fpga-port for a board"
    if combo.backend.startswith("tensorrt"):
        return tensorrt_missing_reason()
    if combo.backend == "trtexec" and shutil.which("trtexec") is None:
        return "trtexec is not on PATH (it ships with the TensorRT tarball / NGC containers)"
    if combo.backend.startswith("onnxruntime"):
        reason = module_missing_reason("onnxruntime", "pip install -e '.[cpu]' or '.[gpu]'")
        reason = reason or conflicting_onnxruntime_reason()
        if reason:
            return reason
        if combo.device == "cuda" and "CUDAExecutionProvider" not in onnxruntime_providers():
            return (
                "onnxruntime has no CUDAExecutionProvider (providers: "
                f"{', '.join(onnxruntime_providers())}); install onnxruntime-gpu"
            )
    return None

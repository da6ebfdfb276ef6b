"""Why a valid combination cannot run on this machine (None when it can).

Kept apart from `accel.matrix` so the table stays pure data and this module owns every probe
of the environment (installed modules, devices, execution providers).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
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
    """onnxruntime and onnxruntime-gpu share one import name; both installed breaks either."""
    installed = set()
    for dist in ("onnxruntime", "onnxruntime-gpu"):
        try:
            importlib.metadata.version(dist)
            installed.add(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    if len(installed) == 2:
        return "both onnxruntime and onnxruntime-gpu are installed; uninstall one (pip uninstall onnxruntime)"
    return None


@cache
def onnxruntime_providers() -> tuple[str, ...]:
    """Execution providers this onnxruntime build offers."""
    import onnxruntime

    return tuple(onnxruntime.get_available_providers())


def skip_reason(combo: Combination) -> str | None:
    """The exact reason `combo` cannot run here, or None when it can."""
    if combo.device == "cuda" and not cuda_available():
        return "no CUDA device: torch.cuda.is_available() is False on this machine"
    if combo.backend == "onnxruntime":
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

"""Registry plugin of the ONNX Runtime backends (CPU provider; CUDA provider with IOBinding, + CUDA graph)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from functools import cache
from typing import TYPE_CHECKING

from accel.backends.base import Runner
from accel.backends.options import RunnerOptions
from accel.matrix import Combination

if TYPE_CHECKING:
    from accel.artifacts.store import ArtifactStore


def conflicting_install_reason() -> str | None:
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
def providers() -> tuple[str, ...]:
    """Execution providers this onnxruntime build offers."""
    import onnxruntime

    return tuple(onnxruntime.get_available_providers())


def missing(combo: Combination, options: RunnerOptions) -> str | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return "python module 'onnxruntime' is not installed (pip install -e '.[cpu]' or '.[gpu]')"
    reason = conflicting_install_reason()
    if reason:
        return reason
    if combo.device == "cuda" and "CUDAExecutionProvider" not in providers():
        return f"onnxruntime has no CUDAExecutionProvider (providers: {', '.join(providers())}); install onnxruntime-gpu"
    return None


def create(combo: Combination, artifacts: ArtifactStore, options: RunnerOptions) -> Runner:
    from accel.artifacts import quantize
    from accel.backends.onnxruntime.runner import OnnxRuntimeCudaRunner, OnnxRuntimeRunner

    recipe = quantize.recipe_for(combo.spec.runtime, combo.device) if combo.precision == "int8" else None
    entry = artifacts.precision_entry(combo.model, combo.input_size, combo.precision, recipe)
    if recipe:
        quantize.check_recipe(entry.meta["fields"]["recipe"], combo.spec.runtime, combo.device)
    if combo.device == "cpu":
        return OnnxRuntimeRunner(combo, entry.path, options.threads, recipe)
    return OnnxRuntimeCudaRunner(combo, entry.path, recipe, cuda_graph=combo.spec.mode == "cudagraph")

"""Registry plugin of the TensorRT Python-runtime backends (execute_async_v3, + CUDA graph)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from accel.backends.base import Runner
from accel.backends.options import RunnerOptions
from accel.backends.tensorrt.api import missing_reason
from accel.matrix import Combination

if TYPE_CHECKING:
    from accel.artifacts.store import ArtifactStore
    from accel.backends.tensorrt.device import Device


def missing(combo: Combination, options: RunnerOptions) -> str | None:
    return missing_reason()


def create(combo: Combination, artifacts: ArtifactStore, options: RunnerOptions, device: Device | None = None) -> Runner:
    """The runner for `combo` on `device` (CUDA device 0 unless given)."""
    from accel.backends.tensorrt.runner import TensorRTRunner

    builder = options.trt_builder
    if "optimization_level" in dict(combo.config):  # a tuned row; untuned rows keep --trt-opt-level
        builder = replace(builder, optimization_level=int(str(dict(combo.config)["optimization_level"])))
    entry, plan = artifacts.engine_entry(combo.model, combo.input_size, combo.precision, combo.batch, options.trt_mode, builder)
    notes = {"trt_version": entry.meta["fields"]["trt_version"], "strongly_typed": plan.strongly_typed,
             "builder_flags": list(plan.builder_flags), "workspace_mb": builder.workspace_mb,
             "optimization_level": builder.optimization_level, "engine_build_s": entry.meta["build_seconds"]}  # fmt: skip
    return TensorRTRunner(combo, entry.path, notes, cuda_graph=combo.spec.mode == "cudagraph", device=device)

"""Backend runners behind one interface; `create_runner` is the only constructor callers need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accel.artifacts import quantize
from accel.errors import invalid_choice
from accel.matrix import BACKENDS, Combination
from accel.backends.base import Runner
from accel.backends.tensorrt.engine import BuilderOptions

if TYPE_CHECKING:
    from accel.artifacts.store import ArtifactStore

__all__ = ["Runner", "RunnerOptions", "create_runner", "runner_key"]

PER_BATCH_BACKENDS = ("torch-cudagraph", "onnxruntime-cudagraph", "tensorrt", "tensorrt-cudagraph")


@dataclass(frozen=True)
class RunnerOptions:
    """Backend options from the command line; frozen so a run never mutates them."""

    threads: int | None = None
    channels_last: str = "auto"  # auto: on for CUDA fp16/bf16 conv models
    compile_autotune: bool = False
    trt_mode: str = "strongly-typed"
    trt_builder: BuilderOptions = BuilderOptions()

    def use_channels_last(self, combo: Combination, sample_dims: int) -> bool:
        if self.channels_last == "auto":
            return combo.device == "cuda" and combo.precision in ("fp16", "bf16") and sample_dims == 3
        return self.channels_last == "on" and sample_dims == 3


def runner_key(combo: Combination) -> tuple:
    """Which rows can share one prepared runner (per-batch runners serve a single batch size)."""
    key = (combo.model, combo.backend, combo.precision, combo.device, combo.input_size)
    return (*key, combo.batch) if combo.backend in PER_BATCH_BACKENDS else key


def create_runner(combo: Combination, store: ArtifactStore, options: RunnerOptions = RunnerOptions()) -> Runner:
    """Prepare the runner for `combo`, pulling the artifact it needs from `store`."""
    if combo.backend.startswith("torch"):
        return _torch_runner(combo, store, options)
    if combo.backend.startswith("onnxruntime"):
        return _onnxruntime_runner(combo, store, options)
    if combo.backend.startswith("tensorrt"):
        from accel.backends.tensorrt.runner import TensorRTCudaGraphRunner, TensorRTRunner

        entry, plan = store.engine_entry(combo.model, combo.input_size, combo.precision, combo.batch, options.trt_mode, options.trt_builder)
        notes = {"trt_version": entry.meta["fields"]["trt_version"], "strongly_typed": plan.strongly_typed,
                 "builder_flags": list(plan.builder_flags), "workspace_mb": options.trt_builder.workspace_mb,
                 "optimization_level": options.trt_builder.optimization_level, "engine_build_s": entry.meta["build_seconds"]}  # fmt: skip
        cls = TensorRTCudaGraphRunner if combo.backend == "tensorrt-cudagraph" else TensorRTRunner
        return cls(combo, entry.path, notes)
    raise invalid_choice("backend", combo.backend, BACKENDS)


def _torch_runner(combo: Combination, store: ArtifactStore, options: RunnerOptions) -> Runner:
    import torch

    from accel.backends.torch.eager import TorchCudaGraphRunner, TorchEagerRunner

    if options.threads:
        torch.set_num_threads(options.threads)
    module = store.torch_model(combo.model)
    channels_last = options.use_channels_last(combo, len(store.workload(combo.model, combo.input_size).sample_shape))
    if combo.backend == "torch":
        return TorchEagerRunner(combo, module, channels_last)
    if combo.backend == "torch-cudagraph":
        return TorchCudaGraphRunner(combo, module, channels_last)
    from accel.backends.torch.compile import TorchCompileRunner

    return TorchCompileRunner(combo, module, channels_last, options.compile_autotune)


def _onnxruntime_runner(combo: Combination, store: ArtifactStore, options: RunnerOptions) -> Runner:
    from accel.backends.onnxruntime.runner import OnnxRuntimeCudaGraphRunner, OnnxRuntimeCudaRunner, OnnxRuntimeRunner

    recipe = quantize.recipe_for("onnxruntime", combo.device) if combo.precision == "int8" else None
    entry = store.precision_entry(combo.model, combo.input_size, combo.precision, recipe)
    if recipe:
        quantize.check_recipe(entry.meta["fields"]["recipe"], "onnxruntime", combo.device)
    if combo.device == "cpu":
        return OnnxRuntimeRunner(combo, entry.path, options.threads, recipe)
    if combo.backend == "onnxruntime-cudagraph":
        return OnnxRuntimeCudaGraphRunner(combo, entry.path, recipe)
    return OnnxRuntimeCudaRunner(combo, entry.path, recipe)

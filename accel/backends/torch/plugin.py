"""Registry plugin of the PyTorch backends (eager, CUDA graph, torch.compile)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accel.backends.base import Runner
from accel.backends.options import RunnerOptions
from accel.matrix import Combination

if TYPE_CHECKING:
    from accel.artifacts.store import ArtifactStore

COMPILE_MODES = {"compile": "default", "compile-cudagraph": "reduce-overhead"}


def missing(combo: Combination, options: RunnerOptions) -> str | None:
    """torch is a core dependency: nothing can be missing beyond the device."""
    return None


def create(combo: Combination, artifacts: ArtifactStore, options: RunnerOptions) -> Runner:
    import torch

    from accel.backends.torch.eager import TorchCudaGraphRunner, TorchEagerRunner

    if options.threads:
        torch.set_num_threads(options.threads)
    knobs = combo.knobs
    module = artifacts.torch_model(combo.model)
    if knobs.get("fold_bn"):
        from accel.backends.torch.fold import fold_batchnorm

        module = fold_batchnorm(module)
    sample_dims = len(artifacts.workload(combo.model, combo.input_size).sample_shape)
    channels_last = options.use_channels_last(combo, sample_dims) if knobs.get("channels_last", "auto") == "auto" else knobs["channels_last"] == "on"
    mode = combo.spec.mode
    if mode == "eager":
        return TorchEagerRunner(combo, module, channels_last)
    if mode == "cudagraph":
        return TorchCudaGraphRunner(combo, module, channels_last)
    from accel.backends.torch.compile import TorchCompileRunner

    compile_mode = "max-autotune" if options.compile_autotune else COMPILE_MODES[mode]
    return TorchCompileRunner(combo, module, channels_last, compile_mode)

"""Backend runners behind one interface; `create_runner` is the only constructor callers need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accel.errors import invalid_choice
from accel.matrix import BACKENDS, Combination
from accel.runners.base import Runner

if TYPE_CHECKING:
    from accel.artifacts import ArtifactStore

__all__ = ["Runner", "create_runner"]


def create_runner(combo: Combination, store: ArtifactStore, threads: int | None = None) -> Runner:
    """Prepare the runner for `combo`, pulling the artifact it needs from `store`."""
    if combo.backend == "torch":
        import torch

        from accel.runners.torch_eager import TorchEagerRunner

        if threads:
            torch.set_num_threads(threads)
        return TorchEagerRunner(combo, store.torch_model(combo.model))
    if combo.backend == "onnxruntime":
        from accel.runners.onnxruntime import OnnxRuntimeRunner

        return OnnxRuntimeRunner(combo, store.onnx_path(combo.model, combo.input_size), threads)
    raise invalid_choice("backend", combo.backend, BACKENDS)

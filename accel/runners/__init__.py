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

        from accel import quantize

        recipe = quantize.recipe_for(combo.backend, combo.device) if combo.precision == "int8" else None
        entry = store.precision_entry(combo.model, combo.input_size, combo.precision, recipe)
        if recipe:
            quantize.check_recipe(entry.meta["fields"]["recipe"], combo.backend, combo.device)
        return OnnxRuntimeRunner(combo, entry.path, threads, recipe)
    raise invalid_choice("backend", combo.backend, BACKENDS)

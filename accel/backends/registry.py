"""The backend registry: from a row's `BackendSpec` to its plugin, imported only when needed.

Every backend is one folder (or module) under `accel/backends/` plus one row in
`accel.matrix.BACKENDS`; the row names the plugin module, which provides
`missing(combo, options) -> reason | None` and `create(combo, artifacts, options) -> Runner`.
Nothing here knows any backend by name.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from accel.backends.base import Runner
from accel.backends.options import RunnerOptions
from accel.errors import UsageError
from accel.matrix import Combination

if TYPE_CHECKING:
    from accel.artifacts.store import ArtifactStore

__all__ = ["Runner", "RunnerOptions", "create_runner", "runner_key", "skip_reason"]


@cache
def cuda_available() -> bool:
    """True when torch sees at least one CUDA device."""
    import torch

    return bool(torch.cuda.is_available())


def plugin(combo: Combination) -> ModuleType:
    """The plugin module of `combo`'s backend (imported on first use)."""
    return importlib.import_module(combo.spec.plugin)


def skip_reason(combo: Combination, options: RunnerOptions = RunnerOptions()) -> str | None:
    """The exact reason `combo` cannot run here, or None when it can."""
    if combo.device == "cuda" and not cuda_available():
        return "no CUDA device: torch.cuda.is_available() is False on this machine"
    reason = plugin(combo).missing(combo, options)
    if reason is None and combo.preprocess is not None:
        from accel.inputs.gpu_preprocess import missing as preprocess_missing

        reason = preprocess_missing(combo.preprocess)
    return reason


def create_runner(combo: Combination, artifacts: ArtifactStore, options: RunnerOptions = RunnerOptions()) -> Runner:
    """Build the runner for `combo` from the artifact it needs; `prepare` it before timing."""
    if not combo.spec.timed_by_runner:
        raise UsageError(f"{combo.backend} rows time themselves; they have no Runner")
    return plugin(combo).create(combo, artifacts, options)


def runner_key(combo: Combination) -> tuple:
    """Which rows can share one runner (per-batch runners serve a single batch size)."""
    key = (combo.model, combo.backend, combo.precision, combo.device, combo.input_size, combo.config)
    return (*key, combo.batch) if combo.spec.per_batch else key

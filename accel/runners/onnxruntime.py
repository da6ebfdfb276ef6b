"""ONNX Runtime runner (CPUExecutionProvider now; the provider list is the only device switch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from accel.export import INPUT_NAME
from accel.matrix import Combination
from accel.runners.base import Runner

PROVIDERS = {"cpu": ["CPUExecutionProvider"], "cuda": ["CUDAExecutionProvider"]}


def physical_cores() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or 1


def session_options(threads: int | None):
    """All graph optimisations on; intra-op threads as given (None: ORT's default, one per core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    return options


class OnnxRuntimeRunner(Runner):
    """One InferenceSession over an ONNX artifact; `run` with numpy inputs on the CPU."""

    backend = "onnxruntime"

    def __init__(self, combo: Combination, onnx_path: Path, threads: int | None = None, recipe: str | None = None) -> None:
        import onnxruntime

        super().__init__(combo)
        self.threads = threads
        self.recipe = recipe
        self.session = onnxruntime.InferenceSession(
            str(onnx_path), sess_options=session_options(threads), providers=PROVIDERS[combo.device]
        )
        self.output_names = [o.name for o in self.session.get_outputs()]

    def upload(self, batch: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(batch, dtype=np.float32)

    def infer(self, inputs: np.ndarray) -> np.ndarray:
        return self.session.run(self.output_names, {INPUT_NAME: inputs})[0]

    def download(self, outputs: np.ndarray) -> np.ndarray:
        return outputs.astype(np.float32, copy=False)

    def describe(self) -> dict[str, object]:
        notes = {
            "provider": self.session.get_providers()[0],
            "intra_op_threads": self.threads or physical_cores(),
            "graph_optimization": "ORT_ENABLE_ALL",
        }
        if self.recipe:
            notes["int8_recipe"] = self.recipe
        return notes

"""OpenVINO runner on the CPU: a model read from an ONNX artifact (or IR), compiled per batch shape.

`prepare` reshapes the model to the batch's static shape and compiles it (outside any timed
region): with static shapes the CPU plugin does no shape inference per call, which matters for
the small models (docs/openvino.md). `upload` wraps the host batch without a copy; the timed
`enqueue` binds it and runs the infer request synchronously, as ONNX Runtime's `run` binds its
numpy input; `download` copies the output out of the request's buffer, which the next inference
overwrites.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from accel.backends.base import Runner
from accel.matrix import Combination

# Layer types whose runtime precision says whether INT8 kernels ran (the compute-heavy ones).
COMPUTE_LAYERS = ("Convolution", "GroupConvolution", "FullyConnected", "MatMul", "Deconvolution")


def compute_layer_precisions(compiled: Any) -> dict[str, int]:
    """How many compute layers of the compiled model run in each precision, e.g. {'u8': 20, 'f32': 1}."""
    counts: Counter[str] = Counter()
    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        if info["layerType"].astype(str) in COMPUTE_LAYERS:
            counts[info["runtimePrecision"].astype(str)] += 1
    return dict(sorted(counts.items()))


class OpenVinoRunner(Runner):
    """A model compiled for the CPU with `config` (performance hint, inference precision, threads)."""

    def __init__(self, combo: Combination, model_path: Path, config: dict[str, str], recipe: str | None = None) -> None:
        import openvino

        super().__init__(combo)
        self.config = dict(config)
        self.recipe = recipe
        self.core = openvino.Core()
        self.model = self.core.read_model(str(model_path))
        self.compiled: Any = None
        self.request: Any = None
        self.shape: tuple[int, ...] | None = None

    def prepare(self, batch: np.ndarray) -> None:
        """Compile for this static shape; the previous compiled model is released first."""
        shape = tuple(batch.shape)
        if shape == self.shape:
            return
        self.request = self.compiled = None
        self.model.reshape(list(shape))
        self.compiled = self.core.compile_model(self.model, "CPU", self.config)
        self.request = self.compiled.create_infer_request()
        self.shape = shape
        wanted, got = self.config["INFERENCE_PRECISION_HINT"], self.inference_precision()
        if got != wanted:  # the CPU plugin falls back to f32 silently: never time fp32 as bf16
            raise RuntimeError(f"{self.combo.test_id}: asked OpenVINO for inference precision {wanted}, it compiled {got}")

    def inference_precision(self) -> str:
        """The precision the compiled model computes in ('f32', 'bf16', 'f16')."""
        return self.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()

    def upload(self, batch: np.ndarray) -> Any:
        import openvino

        if tuple(batch.shape) != self.shape:
            raise RuntimeError(
                f"{self.combo.test_id}: prepare() must compile shape {tuple(batch.shape)} before upload (compiled: {self.shape})"
            )
        return openvino.Tensor(np.ascontiguousarray(batch, dtype=np.float32), shared_memory=True)

    def enqueue(self, inputs: Any) -> Any:
        self.request.set_input_tensor(inputs)
        return self.request.infer(share_outputs=True)

    def download(self, outputs: Any) -> np.ndarray:
        return np.array(outputs[0], dtype=np.float32, copy=True)

    def describe(self) -> dict[str, object]:
        """What the compiled model runs with, read back from it (not what was asked for)."""
        import openvino

        if self.compiled is None:
            raise RuntimeError(f"{self.combo.test_id}: describe() reads the compiled model; prepare() first")
        notes: dict[str, object] = {
            "runtime": f"openvino {openvino.__version__.split('-')[0]}",
            # a plain 'LATENCY' here; older releases return the enum, printed 'PerformanceMode.LATENCY'
            "performance_hint": str(self.compiled.get_property("PERFORMANCE_HINT")).rsplit(".", 1)[-1],
            "num_streams": int(self.compiled.get_property("NUM_STREAMS")),
            "inference_num_threads": int(self.compiled.get_property("INFERENCE_NUM_THREADS")),
            "inference_precision": self.inference_precision(),
            "compute_layer_precisions": compute_layer_precisions(self.compiled),
        }
        if self.recipe:
            notes["int8_recipe"] = self.recipe
        return notes

    def close(self) -> None:
        self.request = self.compiled = self.model = self.core = None
        self.shape = None

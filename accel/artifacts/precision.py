"""The fp32 ONNX export and its fp16 conversion, each validated on real inputs before use."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from accel.artifacts import export, fp16
from accel.artifacts.cache import CacheEntry
from accel.artifacts.deps import require, versions
from accel.artifacts.memo import MemoCache
from accel.artifacts.references import References
from accel.artifacts.weights import TorchWeights
from accel.artifacts.workset import Workset
from accel.errors import ArtifactError
from accel.matrix import native_input_size
from accel.quality.drift import measure_drift
from accel.zoo import models

FP16_MIN_COSINE = 0.999  # sanity check before use; the drift gate holds the real thresholds


def export_fields(model: str, weights_sha256: str, input_shape: tuple[int, ...]) -> dict[str, object]:
    """Key of an fp32 export: the weights, the graph's shape and names, and the exporter's libraries."""
    return {
        "model": model, "weights_sha256": weights_sha256, "input_shape": input_shape, "opset": export.OPSET,
        "exporter": export.EXPORTER, "input_name": export.INPUT_NAME, "output_name": export.OUTPUT_NAME,
        "max_dynamic_batch": export.MAX_DYNAMIC_BATCH, **versions("torch", "onnx", "onnxscript"),
    }  # fmt: skip


def fp16_fields(model: str, fp32_sha256: str) -> dict[str, object]:
    """Key of an fp16 conversion: its parent and the converter (onnxruntime's) writing it with onnx."""
    return {"model": model, "precision": "fp16", "fp32_sha256": fp32_sha256, "converter": fp16.FP16_CONVERTER,
            **versions("onnxruntime", "onnx")}  # fmt: skip


def ort_cpu_logits(path: Path, inputs: np.ndarray) -> np.ndarray:
    """Outputs of an ONNX file on ONNX Runtime's CPU provider, to validate it against torch."""
    onnxruntime = require("onnxruntime", f"validating {path.name}")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {export.INPUT_NAME: inputs})[0]


class OnnxArtifacts:
    """fp32 and fp16 ONNX files per (model, input size), validated once per session."""

    def __init__(self, memo: MemoCache, workset: Workset, weights: TorchWeights, references: References) -> None:
        self.memo = memo
        self.workset = workset
        self.weights = weights
        self.references = references
        self._validated: dict[tuple[str, str, int], CacheEntry] = {}

    def fp32_entry(self, model: str, input_size: int | None = None) -> CacheEntry:
        """The fp32 export (dynamic batch), checked against torch on the evaluation set."""
        size = input_size or native_input_size(model)
        if ("fp32", model, size) not in self._validated:
            net = self.weights.torch_model(model)
            shape = (1, *self.workset.workload(model, size).sample_shape)
            entry = self.memo.get_or_build(
                "onnx-fp32",
                export_fields(model, models.state_dict_sha256(net), shape),
                lambda path: export.export_onnx(net, shape, path),
                ".onnx",
                export.check_onnx,
            )
            exported = ort_cpu_logits(entry.path, self.workset.workload(model, size).eval_inputs)
            export.validate_export(self.references.logits(model, size), exported, f"{model} ({entry.path})")
            self._validated[("fp32", model, size)] = entry
        return self._validated[("fp32", model, size)]

    def fp16_entry(self, model: str, input_size: int | None = None) -> CacheEntry:
        """The fp16 conversion of the fp32 export, refused if it broke the model."""
        size = input_size or native_input_size(model)
        if ("fp16", model, size) not in self._validated:
            fp32 = self.fp32_entry(model, size)
            entry = self.memo.get_or_build(
                "onnx-fp16",
                fp16_fields(model, fp32.meta["sha256"]),
                lambda path: fp16.convert_fp16(fp32.path, path),
                ".onnx",
                export.check_onnx,
            )
            logits = ort_cpu_logits(entry.path, self.workset.workload(model, size).eval_inputs)
            drift = measure_drift(self.references.logits(model, size), logits)
            if drift.cosine_min < FP16_MIN_COSINE:
                raise ArtifactError(
                    f"{model}: fp16 conversion broke the model: cosine_min {drift.cosine_min:.5f} < {FP16_MIN_COSINE}"
                )
            self._validated[("fp16", model, size)] = entry
        return self._validated[("fp16", model, size)]

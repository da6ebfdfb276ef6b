"""Session-level store of the artifacts benchmarks need, each built once and cached on disk.

A thin front over the stages, each in its own module: `workset` (images, workloads), `weights`
(torch weights policy), `references` (fp32 torch outputs), `precision` (fp32 export, fp16),
`int8` (calibration, ranges, QDQ models) and `engines` (TensorRT). Only what a torch row needs is
imported here, so a torch-only install (no onnxruntime) uses the same store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from accel.artifacts.cache import ArtifactCache, CacheEntry
from accel.artifacts.calibration import DEFAULT_CALIB_METHOD, DEFAULT_CALIB_SIZE
from accel.artifacts.engines import Engines
from accel.artifacts.int8 import Int8Artifacts
from accel.artifacts.memo import MemoCache
from accel.artifacts.precision import OnnxArtifacts
from accel.artifacts.references import References
from accel.artifacts.weights import TorchWeights
from accel.artifacts.workset import Workset
from accel.backends.tensorrt.engine import BuilderOptions, BuildPlan
from accel.errors import invalid_choice
from accel.inputs.images import EncodedImage
from accel.inputs.workloads import LabelledFiles, Workload
from accel.quality.accuracy import Accuracy
from accel.zoo.models import DEFAULT_SEED

ONNX_PRECISIONS = ("fp32", "fp16", "int8")


class ArtifactStore:
    """Builds or loads (from `cache`) everything a benchmark row needs."""

    def __init__(
        self,
        cache: ArtifactCache,
        weights: str = "random",
        images_dir: str | Path | None = None,
        on_bad_image: str = "fail",
        seed: int = DEFAULT_SEED,
        calib_method: str = DEFAULT_CALIB_METHOD,
        calib_size: int = DEFAULT_CALIB_SIZE,
        validation: LabelledFiles | None = None,
        checked_images: list[EncodedImage] | None = None,
    ) -> None:
        memo = MemoCache(cache)
        self.cache = cache
        self._workset = Workset(images_dir, on_bad_image, validation, checked_images)
        self._weights = TorchWeights(cache, self._workset, weights, seed)
        self._references = References(self._weights, self._workset)
        self._onnx = OnnxArtifacts(memo, self._workset, self._weights, self._references)
        self._int8 = Int8Artifacts(memo, self._workset, self._onnx, calib_method, calib_size)
        self._engines = Engines(memo, self._workset, self.precision_entry, self._int8.calibration_entry)
        self.weights = self._weights.policy
        self.calib_method = calib_method
        self.calib_size = calib_size

    @property
    def images(self) -> list[EncodedImage]:
        return self._workset.images

    def workload(self, model: str, input_size: int | None = None) -> Workload:
        return self._workset.workload(model, input_size)

    def weights_label(self, model: str) -> str:
        return self._weights.label(model)

    def weights_kind(self, model: str) -> str:
        return self._weights.kind(model)

    def torch_model(self, model: str) -> torch.nn.Module:
        return self._weights.torch_model(model)

    def reference_logits(self, model: str, input_size: int | None = None) -> np.ndarray:
        return self._references.logits(model, input_size)

    def reference_accuracy(self, model: str, input_size: int | None = None) -> Accuracy | None:
        return self._references.accuracy(model, input_size)

    def onnx_entry(self, model: str, input_size: int | None = None) -> CacheEntry:
        return self._onnx.fp32_entry(model, input_size)

    def onnx_path(self, model: str, input_size: int | None = None) -> Path:
        return self._onnx.fp32_entry(model, input_size).path

    def precision_entry(self, model: str, input_size: int | None, precision: str, recipe: str | None = None) -> CacheEntry:
        """The ONNX artifact for `precision` (fp32, fp16, or int8 in `recipe`)."""
        if precision == "fp32":
            return self._onnx.fp32_entry(model, input_size)
        if precision == "fp16":
            return self._onnx.fp16_entry(model, input_size)
        if precision == "int8":
            return self._int8.int8_entry(model, input_size, recipe)
        raise invalid_choice("precision of an ONNX artifact", precision, ONNX_PRECISIONS)

    def calibration_entry(self, model: str, input_size: int | None = None) -> CacheEntry:
        return self._int8.calibration_entry(model, input_size)

    def ranges_entry(self, model: str, input_size: int | None = None) -> CacheEntry | None:
        return self._int8.ranges_entry(model, input_size)

    def engine_entry(
        self, model: str, input_size: int | None, precision: str, batch: int, mode: str, options: BuilderOptions
    ) -> tuple[CacheEntry, BuildPlan]:
        return self._engines.entry(model, input_size, precision, batch, mode, options)

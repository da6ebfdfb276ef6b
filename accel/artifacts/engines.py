"""TensorRT engines per batch size, built from the precision artifacts and cached by everything
that changes them (`engine_cache_fields`): ONNX hash, TensorRT version, GPU, shapes, options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from accel.artifacts import calibration, export, quantize
from accel.artifacts.cache import CacheEntry
from accel.artifacts.memo import MemoCache
from accel.artifacts.workset import Workset
from accel.backends.tensorrt.engine import BuilderOptions, BuildPlan, build_engine, build_plan, engine_cache_fields, load_tensorrt


class Engines:
    """Engine builds, given where the precision artifacts and calibration sets come from."""

    def __init__(
        self,
        memo: MemoCache,
        workset: Workset,
        precision_entry: Callable[[str, int | None, str, str | None], CacheEntry],
        calibration_entry: Callable[[str, int | None], CacheEntry],
    ) -> None:
        self.memo = memo
        self.workset = workset
        self.precision_entry = precision_entry
        self.calibration_entry = calibration_entry

    @property
    def folder(self) -> Path:
        """Timing and calibration caches that TensorRT updates in place (outside the content-addressed tree)."""
        folder = self.memo.cache.root / "tensorrt"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def entry(
        self, model: str, input_size: int | None, precision: str, batch: int, mode: str, options: BuilderOptions
    ) -> tuple[CacheEntry, BuildPlan]:
        """A TensorRT engine for one batch size, built from the precision artifact (or fp32 + calibrator)."""
        trt, flavor = load_tensorrt()
        plan = build_plan(precision, mode, trt.__version__, flavor)
        recipe = "trt" if plan.artifact_precision == "int8" else None
        onnx_entry = self.precision_entry(model, input_size, plan.artifact_precision, recipe)
        if recipe:
            quantize.check_recipe(onnx_entry.meta["fields"]["recipe"], "tensorrt", "cuda")
        shape = (batch, *self.workset.workload(model, input_size).sample_shape)
        gpu = torch.cuda.get_device_properties(0)
        calib = self.calibration_entry(model, input_size) if plan.calibrator else None
        fields = engine_cache_fields(
            onnx_entry.meta["sha256"], plan, precision, trt.__version__, flavor, gpu.name, f"{gpu.major}.{gpu.minor}",
            shape, options, calib.meta["sha256"] if calib else None,
        )  # fmt: skip
        timing_cache = self.folder / f"timing-{flavor}-{trt.__version__}-{gpu.name.replace(' ', '_')}.cache"
        calibration_cache = self.folder / f"calib-{model}-{calib.meta['sha256'][:16]}.cache" if calib else None
        entry = self.memo.get_or_build(
            "trt-engine",
            fields,
            lambda path: build_engine(
                onnx_entry.path, path, plan, export.INPUT_NAME, shape, options, timing_cache,
                calibration.load_calibration_set(calib.path) if calib else None, calibration_cache),
            ".plan",
        )  # fmt: skip
        return entry, plan

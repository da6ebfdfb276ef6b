"""TensorRT engines per batch size, built from the precision artifacts and cached by everything
that changes them (`engine_cache_fields`): ONNX hash, TensorRT version, GPU, shapes, options."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from accel.artifacts import calibration, export, quantize
from accel.artifacts.cache import CacheEntry
from accel.artifacts.memo import MemoCache
from accel.artifacts.workset import Workset
from accel.backends.tensorrt.api import load_tensorrt
from accel.backends.tensorrt.calibrator import calibration_cache_name
from accel.backends.tensorrt.engine import (
    BuilderOptions,
    BuildPlan,
    build_plan,
    engine_cache_fields,
)

if TYPE_CHECKING:
    from accel.backends.tensorrt.device import Device


def gpu_identity() -> tuple[str, str]:
    """Name and compute capability of CUDA device 0, which engines are built for and keyed on."""
    import torch

    properties = torch.cuda.get_device_properties(0)
    return properties.name, f"{properties.major}.{properties.minor}"


def calibration_device() -> Device:
    """Where the implicit-INT8 calibrator puts its batches (CUDA device 0)."""
    from accel.backends.tensorrt.device import CudaDevice

    return CudaDevice()


def file_label(text: str) -> str:
    """`text` made safe for a file name (GPU names have spaces, some have slashes)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


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
        from accel.backends.tensorrt.build import Calibration, build_engine

        trt = load_tensorrt()
        plan = build_plan(precision, mode, trt.version, trt.flavor)
        recipe = "trt" if plan.artifact_precision == "int8" else None
        onnx_entry = self.precision_entry(model, input_size, plan.artifact_precision, recipe)
        if recipe:
            quantize.check_recipe(onnx_entry.meta["fields"]["recipe"], "tensorrt", "cuda")
        shape = (batch, *self.workset.workload(model, input_size).sample_shape)
        gpu_name, compute_capability = gpu_identity()
        calib = self.calibration_entry(model, input_size) if plan.calibrator else None
        fields = engine_cache_fields(
            onnx_entry.meta["sha256"], plan, precision, trt.version, trt.flavor, gpu_name, compute_capability,
            shape, options, calib.meta["sha256"] if calib else None,
        )  # fmt: skip
        timing_cache = self.folder / f"timing-{trt.flavor}-{trt.version}-{file_label(gpu_name)}.cache"

        def build(path: Path) -> None:
            calibration_set = None
            if calib is not None:
                cache_path = self.folder / calibration_cache_name(model, onnx_entry.meta["sha256"], calib.meta["sha256"])
                calibration_set = Calibration(calibration.load_calibration_set(calib.path), cache_path, calibration_device)
            build_engine(onnx_entry.path, path, plan, export.INPUT_NAME, shape, options, timing_cache, calibration_set)

        return self.memo.get_or_build("trt-engine", fields, build, ".plan"), plan

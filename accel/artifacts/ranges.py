"""INT8 activation ranges: ONNX Runtime's calibrator run once per (model, calibration set, method)
and kept as its calibration cache JSON, shared by every INT8 recipe."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import numpy as np

from accel.artifacts.calibration import CALIB_METHODS
from accel.artifacts.deps import require
from accel.artifacts.tempfiles import owned_work_dir
from accel.errors import invalid_choice

READER_BATCH = 16
# ORT's histogram calibrators hold every intermediate output of one `collect_data` call in memory
# (256 efficientnet_b0 samples at once exceeded 24 GiB), and merge histograms across calls.
CALIBRATION_CHUNK = 32
ORT_METHOD_NAMES = {"minmax": "MinMax", "entropy": "Entropy", "percentile": "Percentile"}


class NumpyCalibrationReader:
    """Feeds a calibration array to ONNX Runtime's calibrator in fixed-size batches.

    ORT's CalibrationDataReader accepts any class with `get_next` (its `__subclasshook__`), so
    this one does not subclass it and needs no onnxruntime to import."""

    def __init__(self, data: np.ndarray, input_name: str, batch: int) -> None:
        self.data = data
        self.input_name = input_name
        self.batch = batch
        self.position = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.position >= len(self.data):
            return None
        chunk = self.data[self.position : self.position + self.batch]
        self.position += self.batch
        return {self.input_name: np.ascontiguousarray(chunk)}

    def rewind(self) -> None:
        self.position = 0

    def __len__(self) -> int:
        return len(self.data)


def ort_calibration_method(method: str):
    """Our method name -> onnxruntime's CalibrationMethod member."""
    if method not in ORT_METHOD_NAMES:
        raise invalid_choice("--calib-method", method, CALIB_METHODS)
    calibrate = require("onnxruntime.quantization.calibrate", "INT8 calibration")
    return calibrate.CalibrationMethod[ORT_METHOD_NAMES[method]]


def supports_calibration_cache() -> bool:
    """onnxruntime >= 1.26 can save and reload computed ranges (`calibration_cache_path`)."""
    quantization = require("onnxruntime.quantization", "INT8 quantization")
    return "calibration_cache_path" in inspect.signature(quantization.quantize_static).parameters


def compute_ranges(model: Path, calibration: np.ndarray, method: str, destination: Path, input_name: str) -> None:
    """Run the calibrator once, in chunks, and write its ranges as ONNX Runtime's calibration cache."""
    calibrate = require("onnxruntime.quantization.calibrate", "INT8 calibration")
    with owned_work_dir() as work:
        calibrator = calibrate.create_calibrator(
            model, None, augmented_model_path=str(work / "augmented.onnx"), calibrate_method=ort_calibration_method(method)
        )
        for start in range(0, len(calibration), CALIBRATION_CHUNK):
            calibrator.collect_data(
                NumpyCalibrationReader(calibration[start : start + CALIBRATION_CHUNK], input_name, READER_BATCH)
            )
        # ORT writes its own temporary beside the file it saves: keep that inside our owned folder.
        calibrate.save_tensors_data(calibrator.compute_data(), work / "ranges.json")
        shutil.copyfile(work / "ranges.json", destination)

"""The implicit-INT8 calibrator of TensorRT <= 10 over a calibration .npy, with TensorRT's
calibration cache kept in a file.

TensorRT asks `read_calibration_cache` first and calibrates only when it gets None; it then calls
`get_batch` for device pointers until it gets an empty list, and hands the result to
`write_calibration_cache`. With a dynamic batch axis every calibration batch has the calibration
profile's OPT shape, which is the engine's fixed shape here. TensorRT 11 removed all of this.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from accel.artifacts.cache import atomic_write_bytes
from accel.backends.tensorrt.api import TensorRTModule
from accel.backends.tensorrt.device import Device
from accel.errors import UsageError

if TYPE_CHECKING:
    import tensorrt as trt_types
    from typing_extensions import Buffer


def calibration_cache_name(model: str, onnx_sha256: str, calibration_sha256: str) -> str:
    """File name of a calibration cache: TensorRT leaves recalibrating after a change of network
    (its weights too) or of data to the application, so both hashes are in the name."""
    return f"calib-{model}-{onnx_sha256[:16]}-{calibration_sha256[:16]}.cache"


class EntropyCalibration:
    """The calibrator's methods; mixed into the module's IInt8EntropyCalibrator2 at run time,
    since that base class exists only once TensorRT is imported."""

    def __init__(self, data: np.ndarray, shape: tuple[int, ...], input_name: str, cache_path: Path, device: Device) -> None:
        super().__init__()  # the TensorRT base class: its docs require initialising it explicitly
        batch = shape[0]
        if tuple(data.shape[1:]) != tuple(shape[1:]) or len(data) < batch:
            raise UsageError(f"calibration set of shape {data.shape} cannot fill one batch of {shape}")
        self.batches = [data[i : i + batch] for i in range(0, len(data) - batch + 1, batch)]
        self.position = 0
        self.input_name = input_name
        self.cache_path = cache_path
        self.device = device
        self.device_batch = device.empty(shape, torch.float32)

    def get_batch_size(self) -> int:
        return int(self.device_batch.shape[0])

    def get_batch(self, names: list[str]) -> list[int]:
        """Device pointers, one per name, to the next batch; an empty list once all are used."""
        if names != [self.input_name]:
            raise ValueError(f"calibrator feeds only {self.input_name!r}; TensorRT asked for {names}")
        if self.position >= len(self.batches):
            return []
        self.device.to_device(self.batches[self.position], out=self.device_batch)
        self.position += 1
        return [int(self.device_batch.data_ptr())]

    def read_calibration_cache(self) -> Buffer:
        """The cache file's bytes; None (calibrate) when there is none, as the bindings' docs say."""
        if self.cache_path.is_file():
            return self.cache_path.read_bytes()
        return None  # type: ignore[return-value]  # documented, though the stubs type the result Buffer

    def write_calibration_cache(self, cache: Buffer) -> None:
        atomic_write_bytes(self.cache_path, bytes(cache))


if TYPE_CHECKING:

    class _CheckedCalibrator(EntropyCalibration, trt_types.IInt8EntropyCalibrator2):
        """Never instantiated: mypy checks the methods above against the bindings' base class."""


def entropy_calibrator(
    trt: TensorRTModule, data: np.ndarray, shape: tuple[int, ...], input_name: str, cache_path: Path, device: Device
) -> trt_types.IInt8Calibrator:
    """An IInt8EntropyCalibrator2 of `trt` fed from `data` in batches of `shape`."""
    calibrator_class = type("NumpyEntropyCalibrator", (EntropyCalibration, trt.IInt8EntropyCalibrator2), {})
    calibrator: trt_types.IInt8Calibrator = calibrator_class(data, shape, input_name, cache_path, device)
    return calibrator

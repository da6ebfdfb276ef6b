"""INT8 calibration sets: built from real inputs with the inference preprocessing, saved as .npy
with their hash (the seed documents' make_calib_data step), and checked against the model."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from accel.errors import UsageError

CALIB_METHODS = ("minmax", "entropy", "percentile")
# Chosen by measured drift (docs/quantization.md): percentile gave the best cosine / top-1 agreement
# on resnet18, mobilenet_v3_small and efficientnet_b0 with both recipes.
DEFAULT_CALIB_METHOD = "percentile"
DEFAULT_CALIB_SIZE = 256
MIN_CALIB_SIZE = 8


def array_sha256(array: np.ndarray) -> str:
    """Hash of dtype, shape and bytes: identifies a calibration set exactly."""
    digest = hashlib.sha256(f"{array.dtype}{array.shape}".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def save_npy(array: np.ndarray, path: Path) -> None:
    """Write an array to `path` in .npy format (np.save would append a suffix to odd names)."""
    with open(path, "wb") as handle:
        np.save(handle, array)


def load_calibration_set(path: str | Path) -> np.ndarray:
    """Load a calibration .npy, naming the file on failure."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UsageError(f"calibration set {str(path)!r} cannot be read as .npy: {exc}") from exc


def check_calibration_set(data: np.ndarray, sample_shape: Sequence[int], name: str, minimum: int = MIN_CALIB_SIZE) -> None:
    """A calibration set must be float32 N x sample_shape with enough samples."""
    if data.dtype != np.float32:
        raise UsageError(f"calibration set for {name}: dtype must be float32; got {data.dtype}")
    if data.ndim != len(sample_shape) + 1 or tuple(data.shape[1:]) != tuple(sample_shape):
        raise UsageError(
            f"calibration set for {name}: shape must be N x {' x '.join(map(str, sample_shape))}; got {' x '.join(map(str, data.shape))}"
        )
    if len(data) < minimum:
        raise UsageError(f"calibration set for {name}: needs at least {minimum} samples; got {len(data)}")
    if not np.all(np.isfinite(data)):
        raise UsageError(f"calibration set for {name}: contains NaN or inf")


def validate_calib_options(method: str, size: int) -> None:
    if method not in CALIB_METHODS:
        raise UsageError(f"`--calib-method` must be one of {', '.join(CALIB_METHODS)}; got {method!r}")
    if size < MIN_CALIB_SIZE:
        raise UsageError(f"`--calib-size` must be >= {MIN_CALIB_SIZE}; got {size}")

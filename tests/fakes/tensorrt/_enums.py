"""The enums, Dims and `nptype` of the fake, with the member values of the TensorRT 10 bindings."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class DataType(IntEnum):
    FLOAT = 0
    HALF = 1
    INT8 = 2
    INT32 = 3
    BOOL = 4
    UINT8 = 5
    FP8 = 6
    BF16 = 7
    INT64 = 8


class TensorIOMode(IntEnum):
    NONE = 0
    INPUT = 1
    OUTPUT = 2


class MemoryPoolType(IntEnum):
    WORKSPACE = 0


class NetworkDefinitionCreationFlag(IntEnum):
    EXPLICIT_BATCH = 0  # deprecated and ignored since 10.0: every network has an explicit batch
    STRONGLY_TYPED = 1


class CalibrationAlgoType(IntEnum):
    LEGACY_CALIBRATION = 0
    ENTROPY_CALIBRATION = 1
    ENTROPY_CALIBRATION_2 = 2
    MINMAX_CALIBRATION = 3


class BuilderFlag(IntEnum):
    """TensorRT 10.x (a subset)."""

    FP16 = 0
    INT8 = 1
    DEBUG = 2
    GPU_FALLBACK = 3
    REFIT = 4
    DISABLE_TIMING_CACHE = 5
    TF32 = 6
    SPARSE_WEIGHTS = 7
    OBEY_PRECISION_CONSTRAINTS = 10
    PREFER_PRECISION_CONSTRAINTS = 11
    DIRECT_IO = 13
    FP8 = 16
    BF16 = 18
    INT4 = 22
    FP4 = 25


class BuilderFlag11(IntEnum):
    """TensorRT 11.x removed every precision-enabling flag (strong typing is always on)."""

    DEBUG = 2
    GPU_FALLBACK = 3
    REFIT = 4
    DISABLE_TIMING_CACHE = 5
    TF32 = 6
    SPARSE_WEIGHTS = 7


PRECISION_FLAGS = ("FP16", "INT8", "FP8", "BF16", "INT4", "FP4")

_NUMPY = {
    DataType.FLOAT: np.float32, DataType.HALF: np.float16, DataType.INT8: np.int8, DataType.INT32: np.int32,
    DataType.BOOL: np.bool_, DataType.UINT8: np.uint8, DataType.INT64: np.int64,
}  # fmt: skip
# ONNX TensorProto element types -> TensorRT types.
ONNX_TYPES = {1: DataType.FLOAT, 10: DataType.HALF, 3: DataType.INT8, 6: DataType.INT32, 9: DataType.BOOL,
              2: DataType.UINT8, 16: DataType.BF16, 7: DataType.INT64}  # fmt: skip


def nptype(trt_type: DataType) -> type:
    """The numpy type of a TensorRT type (the bindings raise TypeError for those numpy lacks)."""
    if trt_type not in _NUMPY:
        raise TypeError("Could not resolve TensorRT datatype to an equivalent numpy datatype.")
    return _NUMPY[trt_type]


class Dims(tuple):
    """Behaves like a tuple of ints, as the bindings' Dims does; -1 marks a dynamic dimension."""

    def __new__(cls, shape=()):
        return super().__new__(cls, [int(d) for d in shape])

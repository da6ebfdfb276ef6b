"""A behavioural fake of NVIDIA TensorRT's Python API for tests on machines without a GPU.

Only what accel-bench calls, following the documented semantics of TensorRT 10.x (and the 11.x
removals, with `set_version`); networks run with onnxruntime on the CPU, so outputs are real.
Device memory and streams are simulated by `fake_cuda`. What is fake-only (not TensorRT API):
`set_version`, `fake_cuda`, `plan_format`, `onnx_exec`, `Logger.errors`,
`IExecutionContext.execute_count` and `UndefinedBehaviour`."""

from . import fake_cuda, plan_format
from ._builder import (
    DEVICE_NAME,
    Builder,
    IBuilderConfig,
    IHostMemory,
    IOptimizationProfile,
    ITimingCache,
)
from ._calibration import IInt8Calibrator, IInt8EntropyCalibrator2
from ._enums import (
    BuilderFlag as _BuilderFlag10,
)
from ._enums import (
    BuilderFlag11 as _BuilderFlag11,
)
from ._enums import (
    CalibrationAlgoType,
    DataType,
    Dims,
    MemoryPoolType,
    NetworkDefinitionCreationFlag,
    TensorIOMode,
    nptype,
)
from ._logger import ILogger, Logger
from ._network import ErrorCode, INetworkDefinition, ITensor, OnnxParser, ParserError
from ._runtime import ICudaEngine, IExecutionContext, Runtime, UndefinedBehaviour
from ._version import DEFAULT as _DEFAULT_VERSION
from ._version import major as _major
from ._version import set_current as _set_current

_REMOVED_IN_11 = {"IInt8Calibrator": IInt8Calibrator, "IInt8EntropyCalibrator2": IInt8EntropyCalibrator2}
__version__ = _DEFAULT_VERSION
BuilderFlag = _BuilderFlag10


def set_version(version: str = _DEFAULT_VERSION) -> None:
    """Play TensorRT `version`: from 11 on, the precision flags and implicit calibrators are gone."""
    global __version__, BuilderFlag
    _set_current(version)
    __version__ = version
    BuilderFlag = _BuilderFlag11 if _major() >= 11 else _BuilderFlag10
    for name, value in _REMOVED_IN_11.items():
        if _major() >= 11:
            globals().pop(name, None)
        else:
            globals()[name] = value


def reset(version: str = _DEFAULT_VERSION) -> None:
    """Fake-only: back to `version` with no device memory or streams."""
    set_version(version)
    fake_cuda.reset()


__all__ = [
    "DEVICE_NAME", "Builder", "BuilderFlag", "CalibrationAlgoType", "DataType", "Dims", "ErrorCode", "IBuilderConfig",
    "ICudaEngine", "IExecutionContext", "IHostMemory", "IInt8Calibrator", "IInt8EntropyCalibrator2", "ILogger",
    "INetworkDefinition", "IOptimizationProfile", "ITensor", "ITimingCache", "Logger", "MemoryPoolType",
    "NetworkDefinitionCreationFlag", "OnnxParser", "ParserError", "Runtime", "TensorIOMode", "UndefinedBehaviour",
    "fake_cuda", "nptype", "plan_format", "reset", "set_version",
]  # fmt: skip

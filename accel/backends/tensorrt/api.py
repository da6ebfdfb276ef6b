"""The TensorRT Python module: found without importing it, loaded on first use, and typed as the
real bindings, so `mypy --config-file mypy-tensorrt.ini` checks every call the suite makes.

`tensorrt_rtx` (RTX-class GPUs) has the same API. A `tensorrt` folder holding only `.pyi` files
(what the `tensorrt-stubs` wheel installs) imports as an empty namespace package: it is not
TensorRT, so only a module with a file of its own counts as installed.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from accel.errors import UsageError

if TYPE_CHECKING:
    import tensorrt as trt_types

TRT_MODULES = ("tensorrt", "tensorrt_rtx")
INSTALL_HINT = "its wheels come from NVIDIA's index: pip install -e '.[tensorrt]' --extra-index-url https://pypi.nvidia.com"


class TensorRTModule(Protocol):
    """The names the suite takes from the `tensorrt` module, each with the bindings' own type.

    A module cannot be written as a type; a protocol that the real module satisfies can
    (mypy checks that below), and every attribute reached through it is typed from the stubs."""

    @property
    def Logger(self) -> type[trt_types.Logger]: ...
    @property
    def Builder(self) -> type[trt_types.Builder]: ...
    @property
    def OnnxParser(self) -> type[trt_types.OnnxParser]: ...
    @property
    def Runtime(self) -> type[trt_types.Runtime]: ...
    @property
    def Dims(self) -> type[trt_types.Dims]: ...
    @property
    def NetworkDefinitionCreationFlag(self) -> type[trt_types.NetworkDefinitionCreationFlag]: ...
    @property
    def MemoryPoolType(self) -> type[trt_types.MemoryPoolType]: ...
    @property
    def BuilderFlag(self) -> type[trt_types.BuilderFlag]: ...
    @property
    def TensorIOMode(self) -> type[trt_types.TensorIOMode]: ...
    @property
    def IInt8EntropyCalibrator2(self) -> type[trt_types.IInt8EntropyCalibrator2]: ...  # absent from TensorRT 11

    def nptype(self, trt_type: trt_types.DataType) -> Any: ...


if TYPE_CHECKING:
    _bindings_satisfy_the_protocol: TensorRTModule = trt_types


@dataclass(frozen=True)
class TensorRT:
    """A loaded TensorRT module, its flavor (tensorrt or tensorrt_rtx) and version."""

    module: TensorRTModule
    flavor: str
    version: str


def installed_flavor() -> str | None:
    """The first of `TRT_MODULES` that is really installed (not a stub-only namespace folder)."""
    for name in TRT_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin is not None:
            return name
    return None


def missing_reason() -> str | None:
    """Why TensorRT rows cannot run here, or None when a TensorRT module is installed."""
    if installed_flavor() is not None:
        return None
    return f"python module 'tensorrt' (or 'tensorrt_rtx') is not installed: {INSTALL_HINT}"


def load_tensorrt() -> TensorRT:
    """Import the installed TensorRT module (tensorrt, else tensorrt_rtx)."""
    flavor = installed_flavor()
    if flavor is None:
        raise UsageError(f"neither 'tensorrt' nor 'tensorrt_rtx' is installed ({INSTALL_HINT})")
    module: Any = importlib.import_module(flavor)
    return TensorRT(module, flavor, str(module.__version__))

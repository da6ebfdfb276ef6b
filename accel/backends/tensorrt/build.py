"""One TensorRT engine build: parse the ONNX artifact, configure the builder from a `BuildPlan`,
and write the serialized engine, updating the shared timing cache on the way."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from accel.artifacts.cache import atomic_write_bytes
from accel.backends.tensorrt.api import TensorRTModule, load_tensorrt
from accel.backends.tensorrt.calibrator import entropy_calibrator
from accel.backends.tensorrt.device import Device
from accel.backends.tensorrt.engine import BuilderOptions, BuildPlan

if TYPE_CHECKING:
    import tensorrt as trt_types


class TensorRTBuildError(RuntimeError):
    """TensorRT refused the network, the profile or the build; says which and why."""


@dataclass(frozen=True)
class Calibration:
    """What the implicit-INT8 path calibrates from: the data, where its cache lives, the device."""

    data: np.ndarray
    cache_path: Path
    device: Callable[[], Device]


def _parse(
    trt: TensorRTModule, builder: trt_types.Builder, plan: BuildPlan, onnx_path: Path, logger: trt_types.Logger
) -> tuple[trt_types.INetworkDefinition, trt_types.OnnxParser]:
    """The parsed network, and its parser: the parser owns the weights, so it must outlive the build."""
    flags = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) if plan.strongly_typed else 0
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise TensorRTBuildError(f"TensorRT could not parse {onnx_path}: {errors}")
    return network, parser


def _attach_timing_cache(config: trt_types.IBuilderConfig, timing_cache: Path) -> None:
    """Load the timing cache into `config`; one TensorRT cannot read (corrupt, another GPU) is
    replaced by an empty one, since it only saves build time."""
    data = timing_cache.read_bytes() if timing_cache.is_file() else b""
    cache = config.create_timing_cache(data)
    if cache is not None and config.set_timing_cache(cache, ignore_mismatch=False):
        return
    warnings.warn(f"TensorRT rejected the timing cache {timing_cache}; starting an empty one", stacklevel=3)
    if not config.set_timing_cache(config.create_timing_cache(b""), ignore_mismatch=False):
        raise TensorRTBuildError("TensorRT refused an empty timing cache")


def build_engine(
    onnx_path: Path, destination: Path, plan: BuildPlan, input_name: str, input_shape: tuple[int, ...],
    options: BuilderOptions, timing_cache: Path, calibration: Calibration | None = None,
) -> None:  # fmt: skip
    """Parse the ONNX artifact and write a serialized engine (fixed shape: min = opt = max)."""
    trt = load_tensorrt().module
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network, _parser = _parse(trt, builder, plan, onnx_path, logger)
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, options.workspace_mb << 20)
    config.builder_optimization_level = options.optimization_level
    _attach_timing_cache(config, timing_cache)
    for flag in plan.builder_flags:
        config.set_flag(getattr(trt.BuilderFlag, flag))
    profile = builder.create_optimization_profile()
    shape = trt.Dims(list(input_shape))
    profile.set_shape(input_name, shape, shape, shape)
    if config.add_optimization_profile(profile) < 0:
        raise TensorRTBuildError(f"TensorRT rejected the profile {input_name}: {input_shape}")
    if plan.calibrator:
        if calibration is None:
            raise TensorRTBuildError(f"build plan {plan} calibrates, but no calibration set was given")
        device = calibration.device()
        calibrator = entropy_calibrator(trt, calibration.data, input_shape, input_name, calibration.cache_path, device)
        config.int8_calibrator = calibrator  # kept by this frame too: TensorRT calls it during the build
        if not config.set_calibration_profile(profile):
            raise TensorRTBuildError(f"TensorRT rejected the calibration profile {input_name}: {input_shape}")
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise TensorRTBuildError(f"TensorRT failed to build an engine from {onnx_path} (plan {plan}); see its log above")
    atomic_write_bytes(timing_cache, bytes(config.get_timing_cache().serialize()))
    destination.write_bytes(bytes(serialized))

"""TensorRT engine builds from the precision artifacts, with a content-addressed engine cache.

Strongly typed networks (the ONNX file's own types decide each layer's precision) are the path
for every TensorRT version: TensorRT 11 removed BuilderFlag.FP16/INT8 and the implicit INT8
calibrators, 10.x deprecated them. For TensorRT <= 10 only, the seed documents' implicit INT8
path (fp32 ONNX + INT8/FP16 builder flags + an entropy calibrator over the calibration .npy,
writing a calibration cache) is also offered. `tensorrt_rtx` (RTX-class GPUs) has the same API
and is strongly typed only.

Everything that decides a build (`build_plan`, `engine_cache_fields`) is a plain function that
runs without a GPU; only `build_engine` and the calibrator touch TensorRT.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from accel.errors import UsageError

TRT_MODULES = ("tensorrt", "tensorrt_rtx")
TRT_MODES = ("strongly-typed", "implicit-int8")
DEFAULT_WORKSPACE_MB = 2048
DEFAULT_OPT_LEVEL = 3


@dataclass(frozen=True)
class BuilderOptions:
    workspace_mb: int = DEFAULT_WORKSPACE_MB
    optimization_level: int = DEFAULT_OPT_LEVEL

    def __post_init__(self) -> None:
        if self.workspace_mb < 1:
            raise UsageError(f"`--trt-workspace-mb` must be >= 1; got {self.workspace_mb}")
        if not 0 <= self.optimization_level <= 5:
            raise UsageError(f"`--trt-opt-level` must be 0..5; got {self.optimization_level}")


@dataclass(frozen=True)
class BuildPlan:
    """What to feed the builder: which ONNX artifact, network flags, builder flags, calibrator."""

    artifact_precision: str  # the ONNX artifact to parse: fp32, fp16 or int8 (trt recipe)
    strongly_typed: bool
    builder_flags: tuple[str, ...] = field(default_factory=tuple)
    calibrator: bool = False


def major_version(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError:
        raise UsageError(f"cannot read a TensorRT major version from {version!r}") from None


def build_plan(precision: str, mode: str, trt_version: str, flavor: str = "tensorrt") -> BuildPlan:
    """Choose the build path for a precision on a TensorRT version (pure, testable without a GPU)."""
    if mode not in TRT_MODES:
        raise UsageError(f"`--trt-mode` must be one of {', '.join(TRT_MODES)}; got {mode!r}")
    if precision not in ("fp32", "fp16", "int8"):
        raise UsageError(f"TensorRT precision must be fp32, fp16 or int8; got {precision!r}")
    if mode == "strongly-typed" or precision != "int8":
        return BuildPlan(artifact_precision=precision, strongly_typed=True)
    if flavor == "tensorrt_rtx" or major_version(trt_version) >= 11:
        raise UsageError(
            f"implicit INT8 calibration is not available in {flavor} {trt_version} (removed in TensorRT 11, "
            "absent from TensorRT-RTX); use --trt-mode strongly-typed, which builds from the QDQ artifact"
        )
    return BuildPlan(artifact_precision="fp32", strongly_typed=False, builder_flags=("INT8", "FP16"), calibrator=True)


def engine_cache_fields(
    onnx_sha256: str, plan: BuildPlan, precision: str, trt_version: str, flavor: str, gpu_name: str,
    compute_capability: str, input_shape: tuple[int, ...], options: BuilderOptions, calibration_sha256: str | None,
) -> dict[str, object]:  # fmt: skip
    """Everything that changes an engine: a change to any of these rebuilds it."""
    return {
        "onnx_sha256": onnx_sha256,
        "precision": precision,
        "strongly_typed": plan.strongly_typed,
        "builder_flags": list(plan.builder_flags),
        "calibration_sha256": calibration_sha256 if plan.calibrator else None,
        "trt_flavor": flavor,
        "trt_version": trt_version,
        "gpu_name": gpu_name,
        "compute_capability": compute_capability,
        "input_shape": list(input_shape),
        "workspace_mb": options.workspace_mb,
        "optimization_level": options.optimization_level,
    }


def load_tensorrt():
    """The installed TensorRT module (tensorrt, else tensorrt_rtx) and its flavor name."""
    for name in TRT_MODULES:
        if importlib.util.find_spec(name) is not None:
            return importlib.import_module(name), name
    raise UsageError("neither 'tensorrt' nor 'tensorrt_rtx' is installed (pip install -e '.[gpu]' with NVIDIA's index)")


class NumpyEntropyCalibrator:
    """Factory for an IInt8EntropyCalibrator2 over a calibration .npy, reading/writing a cache file.

    Subclassing happens at call time so this module imports without TensorRT."""

    @staticmethod
    def create(trt, data: np.ndarray, batch: int, cache_path: Path):
        import torch

        class _Calibrator(trt.IInt8EntropyCalibrator2):
            def __init__(self) -> None:
                super().__init__()
                self.batches = [data[i : i + batch] for i in range(0, len(data) - batch + 1, batch)]
                self.position = 0
                self.device_batch = torch.empty((batch, *data.shape[1:]), dtype=torch.float32, device="cuda")

            def get_batch_size(self) -> int:
                return batch

            def get_batch(self, names):
                if self.position >= len(self.batches):
                    return None
                self.device_batch.copy_(torch.from_numpy(np.ascontiguousarray(self.batches[self.position])))
                self.position += 1
                return [int(self.device_batch.data_ptr())]

            def read_calibration_cache(self):
                return cache_path.read_bytes() if cache_path.is_file() else None

            def write_calibration_cache(self, cache: bytes) -> None:
                from accel.artifacts.cache import atomic_write_bytes

                atomic_write_bytes(cache_path, bytes(cache))

        return _Calibrator()


def build_engine(
    onnx_path: Path, destination: Path, plan: BuildPlan, input_name: str, input_shape: tuple[int, ...],
    options: BuilderOptions, timing_cache: Path, calibration: np.ndarray | None = None, calibration_cache: Path | None = None,
) -> None:  # fmt: skip
    """Parse the ONNX artifact and write a serialized engine (fixed shape: min = opt = max)."""
    trt, _ = load_tensorrt()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) if plan.strongly_typed else 0
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"TensorRT could not parse {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, options.workspace_mb << 20)
    config.builder_optimization_level = options.optimization_level
    cache = config.create_timing_cache(timing_cache.read_bytes() if timing_cache.is_file() else b"")
    config.set_timing_cache(cache, ignore_mismatch=False)
    for flag in plan.builder_flags:
        config.set_flag(getattr(trt.BuilderFlag, flag))
    profile = builder.create_optimization_profile()
    profile.set_shape(input_name, input_shape, input_shape, input_shape)
    config.add_optimization_profile(profile)
    if plan.calibrator:
        config.int8_calibrator = NumpyEntropyCalibrator.create(trt, calibration, input_shape[0], calibration_cache)
        config.set_calibration_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(f"TensorRT failed to build an engine from {onnx_path} (plan {plan})")
    from accel.artifacts.cache import atomic_write_bytes

    atomic_write_bytes(timing_cache, bytes(config.get_timing_cache().serialize()))
    destination.write_bytes(bytes(serialized))

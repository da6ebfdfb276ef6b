"""What decides a TensorRT engine: the build path for a precision, the builder options, and the
fields of its cache key. Plain functions that run without TensorRT (`build` calls the builder).

Strongly typed networks (the ONNX file's own types decide each layer's precision) are the path
for every TensorRT version: TensorRT 11 removed BuilderFlag.FP16/INT8 and the implicit INT8
calibrators, 10.x deprecated them. For TensorRT <= 10 only, the seed documents' implicit INT8
path (fp32 ONNX + INT8/FP16 builder flags + an entropy calibrator over the calibration .npy,
writing a calibration cache) is also offered. `tensorrt_rtx` (RTX-class GPUs) has the same API
and is strongly typed only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accel.errors import UsageError

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

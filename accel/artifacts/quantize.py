"""INT8 QDQ quantization of fp32 ONNX artifacts, and the recipes that say how.

INT8 is static post-training quantization in QDQ form with per-channel int8 weights, in a recipe
chosen by the backend that will run it:
  trt      symmetric int8 activations and weights, every zero point 0, float biases (TensorRT explicit
           quantization)
  ort-cpu  uint8 activations, int8 symmetric per-channel weights (ONNX Runtime's fast x86 kernels)
Activation ranges come from `accel.artifacts.ranges`, shared by every recipe. Recipes are plain
values (onnxruntime's enums are looked up by name inside `quantize_qdq`), so this module imports
without onnxruntime: a torch-only install needs `recipe_for` and friends, not the quantizer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np
import onnx

from accel.artifacts import ranges
from accel.artifacts.deps import require
from accel.artifacts.tempfiles import owned_work_dir
from accel.errors import ArtifactError, UsageError, invalid_choice


@dataclass(frozen=True)
class Recipe:
    """How activations and weights are quantized for one kind of backend (names of ORT's enums)."""

    name: str
    activation_type: str
    weight_type: str
    extra_options: dict = field(default_factory=dict)
    # 7-bit weights: x86 CPUs without VNNI multiply u8 x s8 with vpmaddubsw, whose int16 pair sums
    # saturate; ORT's documented remedy is reduce_range (measured: digits_mlp cosine_min 0.962 -> 0.9998).
    reduce_range: bool = False
    # Quantize only heavy Conv/Gemm layers of the models in HEAVY_ONLY_MIN_WEIGHTS (ORT CPU recipes).
    heavy_only: bool = False
    per_channel: bool = True
    quant_format: str = "QDQ"


RECIPES = {
    # TensorRT's explicit quantization takes int8 Q/DQ only: biases stay float (no int32 bias DQ),
    # and each consumer gets its own Q/DQ pair so TensorRT can fuse per layer.
    "trt": Recipe(
        "trt",
        "QInt8",
        "QInt8",
        {"ActivationSymmetric": True, "WeightSymmetric": True, "QuantizeBias": False, "DedicatedQDQPair": True},
    ),
    "ort-cpu": Recipe("ort-cpu", "QUInt8", "QInt8", {"WeightSymmetric": True}, heavy_only=True),
    "ort-cpu-7bit": Recipe("ort-cpu-7bit", "QUInt8", "QInt8", {"WeightSymmetric": True}, reduce_range=True, heavy_only=True),
}
VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
# Which recipe each (backend, device) runs. ORT's CUDA provider gets the symmetric recipe: zero
# points of 0 are what GPU int8 paths (TensorRT, cuDNN) accept.
RECIPE_FOR = {
    ("onnxruntime", "cpu"): "ort-cpu",
    ("onnxruntime", "cuda"): "trt",
    ("tensorrt", "cuda"): "trt",
    # OpenVINO reads QDQ natively; 7-bit weights keep its u8 x s8 kernels from saturating on CPUs
    # without VNNI (where onnxruntime runs the same artifact); on VNNI CPUs onnxruntime runs
    # `ort-cpu` instead, so the two int8 rows run different artifacts there (docs/openvino.md).
    ("openvino", "cpu"): "ort-cpu-7bit",
}
# Depthwise-heavy models lose time to Q/DQ pairs around every small op under ORT on CPU (see
# docs/quantization.md); for them the ort-cpu recipe quantizes only Conv/Gemm whose weights have
# at least this many elements and leaves the rest in fp32.
HEAVY_ONLY_MIN_WEIGHTS = {"mobilenet_v3_small": 60_000, "efficientnet_b0": 60_000}
HEAVY_OP_TYPES = ("Conv", "Gemm", "MatMul")


def recipe_for(backend: str, device: str) -> str:
    """The INT8 recipe a backend on a device needs (ORT on a CPU without VNNI: 7-bit weights)."""
    if (backend, device) == ("onnxruntime", "cpu") and not cpu_has_vnni():
        return "ort-cpu-7bit"
    try:
        return RECIPE_FOR[(backend, device)]
    except KeyError:
        raise UsageError(f"no INT8 recipe for backend {backend!r} on {device!r}") from None


def cpu_has_vnni() -> bool:
    """True when this x86 CPU has an int8 dot-product instruction that does not saturate u8 x s8."""
    from accel.measure.sysinfo import cpu_flags

    return any(flag in cpu_flags() for flag in VNNI_FLAGS)


def check_recipe(artifact_recipe: str, backend: str, device: str) -> None:
    """Refuse to run an INT8 artifact made for another backend."""
    needed = recipe_for(backend, device)
    if artifact_recipe != needed:
        raise ArtifactError(
            f"INT8 artifact recipe {artifact_recipe!r} does not match backend {backend} on {device}, which needs {needed!r}"
        )


def prepare_for_quantization(source: Path, destination: Path) -> None:
    """ORT's recommended pre-step: shape inference and graph optimisation before calibration."""
    shape_inference = require("onnxruntime.quantization.shape_inference", "INT8 quantization")
    with owned_work_dir():  # quant_pre_process makes its own temporary folder
        shape_inference.quant_pre_process(str(source), str(destination), skip_symbolic_shape=False)


def heavy_nodes(model: Path, min_weights: int) -> list[str]:
    """Names of Conv/Gemm/MatMul nodes whose weight initializer has >= min_weights elements."""
    graph = onnx.load(str(model)).graph
    sizes = {init.name: int(np.prod(init.dims)) for init in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type in HEAVY_OP_TYPES and len(node.input) > 1 and sizes.get(node.input[1], 0) >= min_weights
    ]


def qdq_options(recipe: str, method: str, nodes_to_quantize: Sequence[str] | None) -> dict[str, object]:
    """Every option `quantize_static` receives, as plain values: the INT8 cache key hashes exactly these."""
    chosen = RECIPES[recipe]
    return {
        "quant_format": chosen.quant_format,
        "per_channel": chosen.per_channel,
        "activation_type": chosen.activation_type,
        "weight_type": chosen.weight_type,
        "calibrate_method": method,
        "op_types_to_quantize": list(HEAVY_OP_TYPES) if nodes_to_quantize is not None else None,
        "nodes_to_quantize": list(nodes_to_quantize) if nodes_to_quantize is not None else None,
        "reduce_range": chosen.reduce_range,
        "extra_options": dict(chosen.extra_options),
    }


def _ort_enum(enum: type[Enum], name: str, option: str) -> Enum:
    """onnxruntime's enum member for a recipe's plain name."""
    try:
        return enum[name]
    except KeyError:
        raise invalid_choice(option, name, enum.__members__) from None


def quantize_qdq(
    model: Path,
    destination: Path,
    calibration: np.ndarray,
    options: Mapping[str, object],
    input_name: str,
    calibration_cache: Path | None = None,
) -> None:
    """Static quantization of `model` (already prepared) with `options` from `qdq_options`, reading
    activation ranges from `calibration_cache` where given."""
    quantization = require("onnxruntime.quantization", "INT8 quantization")
    kwargs = {
        **options,
        "quant_format": _ort_enum(quantization.QuantFormat, options["quant_format"], "quant_format"),
        "activation_type": _ort_enum(quantization.QuantType, options["activation_type"], "activation_type"),
        "weight_type": _ort_enum(quantization.QuantType, options["weight_type"], "weight_type"),
        "calibrate_method": ranges.ort_calibration_method(options["calibrate_method"]),
    }
    if calibration_cache is not None:
        kwargs["calibration_cache_path"] = str(calibration_cache)
    with owned_work_dir():  # without ranges, quantize_static calibrates in its own temporary folder
        reader = ranges.NumpyCalibrationReader(calibration, input_name, ranges.READER_BATCH)
        quantization.quantize_static(str(model), str(destination), reader, **kwargs)


@dataclass(frozen=True)
class QdqSummary:
    """What a QDQ graph contains: counts, the integer types and every zero point value."""

    quantize_nodes: int
    dequantize_nodes: int
    zero_point_types: frozenset[str]
    zero_point_values: frozenset[int]


def inspect_qdq(path: Path) -> QdqSummary:
    """Read the Q/DQ nodes of an ONNX file and collect their zero points."""
    graph = onnx.load(str(path)).graph
    inits = {init.name: init for init in graph.initializer}
    types, values = set(), set()
    for node in graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") and len(node.input) > 2 and node.input[2] in inits:
            zero_point = inits[node.input[2]]
            types.add(onnx.TensorProto.DataType.Name(zero_point.data_type))
            values.update(int(v) for v in onnx.numpy_helper.to_array(zero_point).ravel())
    return QdqSummary(
        sum(node.op_type == "QuantizeLinear" for node in graph.node),
        sum(node.op_type == "DequantizeLinear" for node in graph.node),
        frozenset(types),
        frozenset(values),
    )

"""FP16 conversion and INT8 QDQ quantization of fp32 ONNX artifacts.

FP16 uses ONNX Runtime's own converter (`onnxruntime.transformers.float16`, shipped in both the
CPU and GPU wheels, so no extra dependency) with float32 inputs/outputs kept, so callers feed
the same tensors at every precision.

INT8 is static post-training quantization in QDQ form with per-channel int8 weights, in one of
two recipes chosen by the backend that will run it:
  trt      symmetric int8 activations and weights, every zero point 0, float biases (TensorRT explicit
           quantization)
  ort-cpu  uint8 activations, int8 symmetric per-channel weights (ONNX Runtime's fast x86 kernels)
Activation ranges are computed once per (model, calibration set, method) and kept as a
calibration cache, shared by both recipes.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

from accel.errors import ArtifactError, UsageError

FP16_CONVERTER = "onnxruntime.transformers.float16(keep_io_types=True)"
READER_BATCH = 16
CALIBRATION_CHUNK = 32
CALIBRATION_METHODS = {
    "minmax": CalibrationMethod.MinMax,
    "entropy": CalibrationMethod.Entropy,
    "percentile": CalibrationMethod.Percentile,
}


@dataclass(frozen=True)
class Recipe:
    """How activations and weights are quantized for one kind of backend."""

    name: str
    activation_type: QuantType
    weight_type: QuantType
    extra_options: dict = field(default_factory=dict)
    # 7-bit weights: x86 CPUs without VNNI multiply u8 x s8 with vpmaddubsw, whose int16 pair sums
    # saturate; ORT's documented remedy is reduce_range (measured: digits_mlp cosine_min 0.962 -> 0.9998).
    reduce_range: bool = False
    # Quantize only heavy Conv/Gemm layers of the models in HEAVY_ONLY_MIN_WEIGHTS (ORT CPU recipes).
    heavy_only: bool = False


RECIPES = {
    # TensorRT's explicit quantization takes int8 Q/DQ only: biases stay float (no int32 bias DQ),
    # and each consumer gets its own Q/DQ pair so TensorRT can fuse per layer.
    "trt": Recipe(
        "trt",
        QuantType.QInt8,
        QuantType.QInt8,
        {"ActivationSymmetric": True, "WeightSymmetric": True, "QuantizeBias": False, "DedicatedQDQPair": True},
    ),
    "ort-cpu": Recipe("ort-cpu", QuantType.QUInt8, QuantType.QInt8, {"WeightSymmetric": True}, heavy_only=True),
    "ort-cpu-7bit": Recipe("ort-cpu-7bit", QuantType.QUInt8, QuantType.QInt8, {"WeightSymmetric": True}, reduce_range=True, heavy_only=True),
}
VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
# Which recipe each (backend, device) runs. ORT's CUDA provider gets the symmetric recipe: zero
# points of 0 are what GPU int8 paths (TensorRT, cuDNN) accept.
RECIPE_FOR = {("onnxruntime", "cpu"): "ort-cpu", ("onnxruntime", "cuda"): "trt", ("tensorrt", "cuda"): "trt"}
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


class NumpyCalibrationReader(CalibrationDataReader):
    """Feeds a calibration array to ONNX Runtime's calibrator in fixed-size batches."""

    def __init__(self, data: np.ndarray, input_name: str, batch: int = READER_BATCH) -> None:
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


def topologically_sorted(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """Nodes in an order where every input is produced before use (Kahn's algorithm, stable)."""
    available = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    pending = list(graph.node)
    ordered: list[onnx.NodeProto] = []
    while pending:
        ready = [node for node in pending if all(name in available for name in node.input)]
        if not ready:
            raise ArtifactError(f"graph has a cycle or a dangling input near node {pending[0].name!r}")
        for node in ready:
            ordered.append(node)
            available.update(node.output)
        pending = [node for node in pending if node not in ready]
    return ordered


def convert_fp16(source: Path, destination: Path) -> None:
    """fp32 ONNX -> fp16 weights and activations, fp32 graph inputs and outputs.

    The converter appends its input casts at the end of the node list; we re-sort so the file
    passes onnx.checker (ONNX requires topological order)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(source)), keep_io_types=True)
    nodes = topologically_sorted(model.graph)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.save(model, str(destination))


def prepare_for_quantization(source: Path, destination: Path) -> None:
    """ORT's recommended pre-step: shape inference and graph optimisation before calibration."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    quant_pre_process(str(source), str(destination), skip_symbolic_shape=False)


def supports_calibration_cache() -> bool:
    """onnxruntime >= 1.26 can save and reload computed ranges (`calibration_cache_path`)."""
    return "calibration_cache_path" in inspect.signature(quantize_static).parameters


def compute_ranges(model: Path, calibration: np.ndarray, method: str, destination: Path, input_name: str) -> None:
    """Run the calibrator once and write its ranges as ONNX Runtime's calibration cache JSON.

    Data goes in chunks: ORT's histogram calibrators hold every intermediate output of one
    `collect_data` call in memory (256 efficientnet_b0 samples at once exceeded 24 GiB), and merge
    histograms across calls."""
    from onnxruntime.quantization.calibrate import create_calibrator, save_tensors_data

    with tempfile.TemporaryDirectory(prefix="accel-calib.") as tmp:
        calibrator = create_calibrator(
            model, None, augmented_model_path=str(Path(tmp) / "augmented.onnx"), calibrate_method=CALIBRATION_METHODS[method]
        )
        for start in range(0, len(calibration), CALIBRATION_CHUNK):
            calibrator.collect_data(NumpyCalibrationReader(calibration[start : start + CALIBRATION_CHUNK], input_name))
        save_tensors_data(calibrator.compute_data(), destination)


def heavy_nodes(model: Path, min_weights: int) -> list[str]:
    """Names of Conv/Gemm/MatMul nodes whose weight initializer has >= min_weights elements."""
    graph = onnx.load(str(model)).graph
    sizes = {init.name: int(np.prod(init.dims)) for init in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type in HEAVY_OP_TYPES and len(node.input) > 1 and sizes.get(node.input[1], 0) >= min_weights
    ]


def quantize_qdq(
    model: Path,
    destination: Path,
    calibration: np.ndarray,
    method: str,
    recipe: str,
    input_name: str,
    ranges: Path | None = None,
    nodes_to_quantize: Sequence[str] | None = None,
) -> None:
    """Static QDQ quantization of `model` (already prepared) with `recipe`, per-channel weights."""
    chosen = RECIPES[recipe]
    kwargs = {}
    if ranges is not None:
        kwargs["calibration_cache_path"] = str(ranges)
    quantize_static(
        str(model),
        str(destination),
        NumpyCalibrationReader(calibration, input_name),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=chosen.activation_type,
        weight_type=chosen.weight_type,
        calibrate_method=CALIBRATION_METHODS[method],
        op_types_to_quantize=list(HEAVY_OP_TYPES) if nodes_to_quantize is not None else None,
        nodes_to_quantize=list(nodes_to_quantize) if nodes_to_quantize is not None else None,
        reduce_range=chosen.reduce_range,
        extra_options=dict(chosen.extra_options),
        **kwargs,
    )


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

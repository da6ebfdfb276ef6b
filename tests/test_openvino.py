"""The OpenVINO backend: its skip reasons, and its runner against ONNX Runtime on one small ONNX
model built here (fp32, and a QDQ copy of it), so no artifact has to be exported or trained."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from accel import matrix
from accel.artifacts.export import INPUT_NAME, OUTPUT_NAME
from accel.backends.openvino import plugin
from accel.backends.options import RunnerOptions
from accel.errors import ArtifactError
from accel.matrix import Combination

CLASSES = 10


def combo(precision: str = "fp32", batch: int = 1) -> Combination:
    return Combination("digits_cnn", "openvino", precision, "cpu", batch, 8)


def conv_net(path: Path, quantized: bool = False) -> Path:
    """Conv 3x3 -> Relu -> global average pool -> Gemm, dynamic batch; `quantized` puts a uint8
    Q/DQ pair on the input and per-channel int8 weights before the Conv (what a QDQ artifact has)."""
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(16, 1, 3, 3)).astype(np.float32)
    nodes, inits, conv_in, conv_w = [], [], INPUT_NAME, "w"
    if quantized:
        scales = np.abs(weight).reshape(16, -1).max(axis=1) / 127
        inits += [
            numpy_helper.from_array(np.round(weight / scales[:, None, None, None]).astype(np.int8), "w_q"),
            numpy_helper.from_array(scales.astype(np.float32), "w_scale"),
            numpy_helper.from_array(np.zeros(16, np.int8), "w_zero"),
            numpy_helper.from_array(np.array(4.0 / 255, np.float32), "x_scale"),
            numpy_helper.from_array(np.array(128, np.uint8), "x_zero"),
        ]
        nodes += [
            helper.make_node("QuantizeLinear", [INPUT_NAME, "x_scale", "x_zero"], ["x_q"]),
            helper.make_node("DequantizeLinear", ["x_q", "x_scale", "x_zero"], ["x_dq"]),
            helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zero"], ["w_dq"], axis=0),
        ]
        conv_in, conv_w = "x_dq", "w_dq"
    else:
        inits.append(numpy_helper.from_array(weight, "w"))
    inits += [
        numpy_helper.from_array(rng.normal(size=16).astype(np.float32), "b"),
        numpy_helper.from_array(rng.normal(size=(CLASSES, 16)).astype(np.float32), "fc_w"),
        numpy_helper.from_array(rng.normal(size=CLASSES).astype(np.float32), "fc_b"),
    ]
    nodes += [
        helper.make_node("Conv", [conv_in, conv_w, "b"], ["conv"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("GlobalAveragePool", ["relu"], ["pool"]),
        helper.make_node("Flatten", ["pool"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], [OUTPUT_NAME], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "conv_net",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", CLASSES])],
        inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def batch_of(size: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 3, size=(size, 1, 8, 8)).astype(np.float32)


# ---- skip reasons: no openvino needed --------------------------------------------------------------


def test_missing_names_the_module_and_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name, *a))
    reason = plugin.missing(combo(), RunnerOptions())
    assert reason == "python module 'openvino' is not installed (pip install openvino)"


def test_int8_rows_skip_without_the_quantizer_that_makes_their_artifact(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else object())
    monkeypatch.setattr(plugin, "cpu_capabilities", lambda: ("FP32", "INT8"))
    assert "python module 'onnxruntime' is not installed" in plugin.missing(combo("int8"), RunnerOptions())
    assert plugin.missing(combo("fp32"), RunnerOptions()) is None  # fp32 reads the torch export


@pytest.mark.parametrize("precision, needed", [("bf16", "BF16"), ("fp16", "FP16")])
def test_half_precisions_skip_where_the_cpu_plugin_lacks_them(monkeypatch, precision, needed):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())
    monkeypatch.setattr(plugin, "cpu_capabilities", lambda: ("FP32", "INT8", "BIN"))
    reason = plugin.missing(combo(precision), RunnerOptions())
    assert reason == f"the OpenVINO CPU plugin has no {needed} inference on this CPU (OPTIMIZATION_CAPABILITIES: FP32, INT8, BIN)"
    assert plugin.missing(combo("fp32"), RunnerOptions()) is None
    monkeypatch.setattr(plugin, "cpu_capabilities", lambda: ("FP32", "INT8", needed))
    assert plugin.missing(combo(precision), RunnerOptions()) is None


def test_openvino_rows_are_in_the_default_cpu_job():
    ids = [c.test_id for c in matrix.combinations(matrix.parse_selection(models="resnet18", device="cpu", batch="1"))]
    assert {f"resnet18-openvino-{p}-cpu-b1" for p in ("fp32", "fp16", "bf16", "int8")} <= set(ids)


def test_int8_rows_run_the_artifact_of_the_openvino_recipe(tmp_path, monkeypatch):
    from accel.artifacts import quantize
    from accel.backends.openvino import runner

    monkeypatch.setattr(runner, "OpenVinoRunner", lambda *args: args)
    asked = []
    recipe = quantize.recipe_for("openvino", "cpu")
    made_with = recipe

    def precision_entry(model, size, precision, artifact_recipe=None):
        asked.append((precision, artifact_recipe))
        return SimpleNamespace(path=tmp_path / "int8.onnx", meta={"fields": {"recipe": made_with}})

    store = SimpleNamespace(precision_entry=precision_entry)
    _, path, config, used = plugin.create(combo("int8"), store, RunnerOptions(threads=1))
    assert asked == [("int8", recipe)] and used == recipe and path == tmp_path / "int8.onnx"
    assert config == {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": "1"}
    made_with = "some-other-recipe"
    with pytest.raises(ArtifactError, match="some-other-recipe"):
        plugin.create(combo("int8"), store, RunnerOptions())


# ---- the runner: needs openvino (and onnxruntime as the reference) --------------------------------


@pytest.fixture
def openvino_runner():
    pytest.importorskip("openvino", reason="openvino is not installed (pip install openvino)")
    from accel.backends.openvino.runner import OpenVinoRunner

    return OpenVinoRunner


def test_outputs_equal_onnxruntime_on_the_same_fp32_model(tmp_path, openvino_runner):
    onnxruntime = pytest.importorskip("onnxruntime")
    path = conv_net(tmp_path / "fp32.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    runner = openvino_runner(combo(), path, plugin.compile_config("fp32", None))
    batches = [batch_of(2, seed=1), batch_of(2, seed=2), batch_of(5, seed=3)]
    results = [runner.run(batch) for batch in batches]  # each result must survive the runs after it
    for batch, logits in zip(batches, results):
        np.testing.assert_allclose(logits, session.run(None, {INPUT_NAME: batch})[0], rtol=1e-4, atol=1e-4)
    runner.close()


def test_prepare_compiles_once_per_shape_and_close_releases(tmp_path, openvino_runner):
    runner = openvino_runner(combo(), conv_net(tmp_path / "fp32.onnx"), plugin.compile_config("fp32", None))
    with pytest.raises(RuntimeError, match="prepare"):
        runner.upload(batch_of(1))
    with pytest.raises(RuntimeError, match="prepare"):
        runner.describe()
    runner.prepare(batch_of(1))
    compiled = runner.compiled
    runner.prepare(batch_of(1, seed=3))
    assert runner.compiled is compiled
    runner.prepare(batch_of(4))
    assert runner.compiled is not compiled
    with pytest.raises(RuntimeError, match=r"compiled: \(4, 1, 8, 8\)"):
        runner.upload(batch_of(1))
    runner.close()
    assert runner.compiled is None and runner.request is None and runner.model is None


def test_describe_reads_back_what_was_compiled(tmp_path, openvino_runner):
    fp32 = openvino_runner(combo(), conv_net(tmp_path / "fp32.onnx"), plugin.compile_config("fp32", 1))
    fp32.prepare(batch_of(1))
    assert fp32.describe() == {
        "runtime": fp32.describe()["runtime"], "performance_hint": "LATENCY", "num_streams": 1,
        "inference_num_threads": 1, "inference_precision": "f32", "compute_layer_precisions": {"f32": 2},
    }  # fmt: skip
    assert fp32.describe()["runtime"].startswith("openvino 20")
    int8_model = conv_net(tmp_path / "int8.onnx", quantized=True)
    int8 = openvino_runner(combo("int8"), int8_model, plugin.compile_config("int8", 2), "ort-cpu-7bit")
    int8.prepare(batch_of(1))
    notes = int8.describe()
    assert (notes["int8_recipe"], notes["inference_precision"], notes["inference_num_threads"]) == ("ort-cpu-7bit", "f32", 2)
    assert set(notes["compute_layer_precisions"]) & {"u8", "i8"}  # the Conv runs an INT8 kernel


def test_a_half_precision_the_cpu_lacks_is_refused_not_run_as_fp32(tmp_path, openvino_runner):
    if "BF16" in plugin.cpu_capabilities():
        pytest.skip("this CPU runs bf16: OpenVINO compiles what was asked")
    runner = openvino_runner(combo("bf16"), conv_net(tmp_path / "fp32.onnx"), plugin.compile_config("bf16", None))
    with pytest.raises(RuntimeError, match="asked OpenVINO for inference precision bf16, it compiled f32"):
        runner.prepare(batch_of(1))

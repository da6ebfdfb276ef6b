"""INT8/FP16 artifacts on the small digits models (fast), through the real artifact store."""

import numpy as np
import onnx
import pytest

from accel.artifacts import fp16, quantize, ranges
from accel.artifacts.cache import ArtifactCache
from accel.artifacts.calibration import check_calibration_set
from accel.artifacts.store import ArtifactStore
from accel.errors import ArtifactError, UsageError


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("qcache")


def make_store(root, log=None, **kwargs):
    return ArtifactStore(ArtifactCache(root, progress=(log.append if log is not None else None)), **kwargs)


def test_trt_recipe_has_only_zero_zero_points_and_int8(cache_root):
    entry = make_store(cache_root).precision_entry("digits_mlp", None, "int8", "trt")
    summary = quantize.inspect_qdq(entry.path)
    assert summary.quantize_nodes > 0 and summary.dequantize_nodes > 0
    assert summary.zero_point_types == {"INT8"}
    assert summary.zero_point_values == {0}
    assert entry.meta["fields"]["recipe"] == "trt"


def test_ort_cpu_recipe_uses_uint8_activations(cache_root):
    summary = quantize.inspect_qdq(make_store(cache_root).precision_entry("digits_mlp", None, "int8", "ort-cpu").path)
    assert "UINT8" in summary.zero_point_types and "INT8" in summary.zero_point_types  # activations u8, weights s8


def test_calibration_cache_reused_across_recipes_and_invalidated(tmp_path):
    if not ranges.supports_calibration_cache():
        pytest.skip("this onnxruntime has no calibration_cache_path in quantize_static")
    log: list[str] = []
    store = make_store(tmp_path, log, calib_size=64)
    store.precision_entry("digits_mlp", None, "int8", "trt")
    store.precision_entry("digits_mlp", None, "int8", "ort-cpu")
    assert sum("building calib-ranges" in line for line in log) == 1  # shared by both recipes
    first = store.ranges_entry("digits_mlp", None)

    log.clear()
    again = make_store(tmp_path, log, calib_size=64)
    assert not again.ranges_entry("digits_mlp", None).built and again.ranges_entry("digits_mlp", None).path == first.path
    again.precision_entry("digits_mlp", None, "int8", "trt")
    assert not any("building" in line for line in log)  # model, set and ranges unchanged: all reused

    bigger = make_store(tmp_path, log, calib_size=128)  # a different calibration set
    assert bigger.ranges_entry("digits_mlp", None).path != first.path
    other_method = make_store(tmp_path, log, calib_size=64, calib_method="minmax")
    assert other_method.ranges_entry("digits_mlp", None).path != first.path


def test_recipe_mismatch_is_refused(monkeypatch):
    monkeypatch.setattr(quantize, "cpu_has_vnni", lambda: True)
    quantize.check_recipe("ort-cpu", "onnxruntime", "cpu")
    with pytest.raises(ArtifactError, match="recipe 'trt' does not match backend onnxruntime on cpu, which needs 'ort-cpu'"):
        quantize.check_recipe("trt", "onnxruntime", "cpu")
    with pytest.raises(UsageError):
        quantize.recipe_for("torch", "cpu")


def test_fp16_artifact_is_valid_and_float16_inside(cache_root):
    entry = make_store(cache_root).precision_entry("digits_cnn", None, "fp16")
    model = onnx.load(str(entry.path))
    onnx.checker.check_model(model)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT  # fp32 I/O kept
    assert any(init.data_type == onnx.TensorProto.FLOAT16 for init in model.graph.initializer)


def test_topological_sort_repairs_order():
    a = onnx.helper.make_node("Relu", ["x"], ["a"], name="first")
    b = onnx.helper.make_node("Relu", ["a"], ["y"], name="second")
    graph = onnx.helper.make_graph(
        [b, a], "g", [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])],
    )  # fmt: skip
    assert [n.name for n in fp16.topologically_sorted(graph)] == ["first", "second"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (np.zeros((16, 3, 8, 8), np.float32), "shape must be N x 1 x 8 x 8; got 16 x 3 x 8 x 8"),
        (np.zeros((16, 1, 8, 8), np.float64), "dtype must be float32; got float64"),
        (np.zeros((4, 1, 8, 8), np.float32), "needs at least 8 samples; got 4"),
        (np.zeros((0, 1, 8, 8), np.float32), "needs at least 8 samples; got 0"),
    ],
)
def test_bad_calibration_sets(data, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        check_calibration_set(data, (1, 8, 8), "digits_cnn")


def test_bad_calibration_options(tmp_path):
    with pytest.raises(UsageError, match="--calib-method"):
        make_store(tmp_path, calib_method="kl")
    with pytest.raises(UsageError, match="--calib-size"):
        make_store(tmp_path, calib_size=2)


def test_cpu_without_vnni_gets_7bit_weights(monkeypatch):
    monkeypatch.setattr(quantize, "cpu_has_vnni", lambda: False)
    assert quantize.recipe_for("onnxruntime", "cpu") == "ort-cpu-7bit"
    assert quantize.recipe_for("onnxruntime", "cuda") == "trt"
    monkeypatch.setattr(quantize, "cpu_has_vnni", lambda: True)
    assert quantize.recipe_for("onnxruntime", "cpu") == "ort-cpu"


def test_7bit_recipe_keeps_weights_within_7_bits(cache_root):
    path = make_store(cache_root).precision_entry("digits_mlp", None, "int8", "ort-cpu-7bit").path
    graph = onnx.load(str(path)).graph
    weights = [onnx.numpy_helper.to_array(i) for i in graph.initializer if i.name.endswith("weight_quantized")]
    assert weights and all(abs(w.astype(int)).max() <= 64 for w in weights)  # symmetric 7-bit: [-64, 64]
    full = make_store(cache_root).precision_entry("digits_mlp", None, "int8", "ort-cpu").path
    assert any(abs(onnx.numpy_helper.to_array(i)).max() > 64 for i in onnx.load(str(full)).graph.initializer if i.name.endswith("weight_quantized"))


def test_recipe_type_names_become_onnxruntime_enums_or_a_clear_error(tmp_path):
    options = {**quantize.qdq_options("trt", "minmax", None), "activation_type": "QInt7"}
    with pytest.raises(UsageError, match=r"`activation_type` must be one of QInt8, QUInt8.*got 'QInt7'"):
        quantize.quantize_qdq(tmp_path / "m.onnx", tmp_path / "q.onnx", np.zeros((8, 64), np.float32), options, "input")

"""The TensorRT runner on the fake `tensorrt`, with a CPU stand-in for the CUDA device: everything
but the CUDA calls themselves (torch CUDA tensors, streams, graphs) runs here."""

import gc

import numpy as np
import onnxruntime
import pytest
import torch

from accel.backends.options import RunnerOptions
from accel.backends.tensorrt import plugin
from accel.backends.tensorrt.build import build_engine
from accel.backends.tensorrt.engine import BuilderOptions, build_plan
from accel.backends.tensorrt.runner import TensorRTRunner
from accel.matrix import Combination
from tests.fakes.cpu_device import CpuDevice
from tests.fakes.tiny_model import tiny_onnx

pytest_plugins = ("tests.fakes.trt_env",)  # fake_trt, fake_gpu, digits_store

MODEL = "digits_cnn"
RECIPES = {"fp32": None, "fp16": None, "int8": "trt"}


def onnxruntime_logits(store, precision, batch):
    path = store.precision_entry(MODEL, None, precision, RECIPES[precision]).path
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": batch})[0]


def runner_for(store, precision, batch, backend="tensorrt"):
    combo = Combination(MODEL, backend, precision, "cuda", batch, 8)
    device = CpuDevice()
    return plugin.create(combo, store, RunnerOptions(), device=device), device


@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_logits_equal_onnxruntime_on_the_same_artifact(fake_trt, fake_gpu, digits_store, precision):
    runner, _ = runner_for(digits_store, precision, 8)
    batch = digits_store.workload(MODEL).batch_of(8)
    logits = runner.run(batch)
    assert logits.dtype == np.float32 and logits.shape == (8, 10)
    np.testing.assert_allclose(logits, onnxruntime_logits(digits_store, precision, batch), rtol=1e-5, atol=1e-5)
    assert runner.describe()["engine"] == "execute_async_v3" and runner.describe()["trt_version"] == fake_trt.__version__
    runner.close()


def test_cuda_graph_runner_replays_the_capture_on_new_inputs(fake_trt, fake_gpu, digits_store):
    runner, device = runner_for(digits_store, "fp16", 8, backend="tensorrt-cudagraph")
    inputs = digits_store.workload(MODEL).eval_inputs
    first, second = inputs[:8], inputs[8:16]
    runner.prepare(first)
    assert device.captures == 1 and runner.context.execute_count == 2  # one run before the capture, one captured
    for batch in (first, second, first):
        np.testing.assert_allclose(runner.run(batch), onnxruntime_logits(digits_store, "fp16", batch), rtol=1e-5, atol=1e-5)
    assert runner.context.execute_count == 2  # every inference was a graph replay
    assert runner.describe()["engine"] == "cuda-graph"
    runner.close()


@pytest.mark.parametrize("backend", ["tensorrt", "tensorrt-cudagraph"])
def test_a_batch_preprocessed_on_the_device_is_adopted_into_the_bound_input(fake_trt, fake_gpu, digits_store, backend):
    """GPU preprocessing hands the runner a device tensor: it must land in the address TensorRT (and a
    captured graph) reads, cast to the engine's input dtype, and give the logits the host path gives."""
    runner, device = runner_for(digits_store, "fp16", 8, backend=backend)
    inputs = digits_store.workload(MODEL).eval_inputs
    first, second = inputs[:8], inputs[8:16]
    assert runner.takes_device_batch
    with pytest.raises(RuntimeError, match="prepare\\(\\) must set input shape"):
        runner.adopt(torch.zeros((8, *first.shape[1:])))
    runner.prepare(first)
    on_device = device.empty(tuple(second.shape), torch.float32)
    device.to_device(second, out=on_device)
    adopted = runner.adopt(on_device)
    assert adopted.data_ptr() == runner.static_input.data_ptr() and adopted.dtype == runner.static_input.dtype
    logits = runner.download(runner.enqueue(adopted))
    np.testing.assert_allclose(logits, onnxruntime_logits(digits_store, "fp16", second), rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match="before adopt"):
        runner.adopt(on_device[:4])
    runner.close()


def test_prepare_sets_the_input_shape_before_reading_the_output_shape(fake_trt, fake_gpu, digits_store):
    runner, _ = runner_for(digits_store, "fp32", 8)
    assert tuple(runner.context.get_tensor_shape("logits")) == (-1, 10)  # dynamic until the input shape is set
    runner.prepare(digits_store.workload(MODEL).batch_of(8))
    assert tuple(runner.output.shape) == (8, 10) and tuple(runner.static_input.shape) == (8, 1, 8, 8)
    runner.prepare(digits_store.workload(MODEL).batch_of(8))  # same shape: nothing to do
    with pytest.raises(ValueError, match="prepared for input"):
        runner.prepare(digits_store.workload(MODEL).batch_of(4))
    runner.close()


def test_shapes_outside_the_engine_profile_and_upload_before_prepare_are_refused(fake_trt, fake_gpu, digits_store):
    runner, _ = runner_for(digits_store, "fp32", 8)
    with pytest.raises(RuntimeError, match="before upload"):
        runner.upload(digits_store.workload(MODEL).batch_of(8))
    with pytest.raises(RuntimeError, match=r"refused input shape \(4, 1, 8, 8\).*profile"):
        runner.prepare(digits_store.workload(MODEL).batch_of(4))


def test_io_buffers_take_the_engine_dtypes(fake_trt, tmp_path):
    onnx_path = tmp_path / "half.onnx"
    onnx_path.write_bytes(tiny_onnx(elem_type=10))
    engine = tmp_path / "half.plan"
    build_engine(onnx_path, engine, build_plan("fp16", "strongly-typed", "10.13"), "x", (2, 4), BuilderOptions(), tmp_path / "t.cache")
    runner = TensorRTRunner(Combination(MODEL, "tensorrt", "fp16", "cuda", 2, 8), engine, {}, device=CpuDevice())
    batch = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(runner.run(batch), 2 * batch + 1)
    assert runner.static_input.dtype == torch.float16 and runner.output.dtype == torch.float16


def test_runner_keeps_the_runtime_alive_with_its_engine(fake_trt, fake_gpu, digits_store):
    runner, device = runner_for(digits_store, "fp32", 8)
    gc.collect()
    batch = digits_store.workload(MODEL).batch_of(8)
    np.testing.assert_allclose(runner.run(batch), onnxruntime_logits(digits_store, "fp32", batch), rtol=1e-5, atol=1e-5)
    runner.close()
    runner.close()  # a second close is harmless
    assert device.allocations == [] and not hasattr(runner, "engine")

"""The fake `tensorrt` follows TensorRT's documented semantics wherever accel-bench relies on them;
each test pins one rule, so a fake that drifts from TensorRT fails here, not silently elsewhere."""

import gc

import numpy as np
import pytest
import torch

from tests.fakes.cpu_device import CpuDevice
from tests.fakes.tiny_model import tiny_onnx

pytest_plugins = ("tests.fakes.trt_env",)  # fake_trt, fake_gpu, digits_store


def build(trt, onnx_bytes=None, shape=(2, 4), strongly_typed=True, flags=(), profile_name="x", timing=b""):
    """Engine bytes (or None) and the logger that saw the build."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) if strongly_typed else 0)
    parser = trt.OnnxParser(network, logger)
    assert parser.parse(onnx_bytes or tiny_onnx())
    config = builder.create_builder_config()
    cache = config.create_timing_cache(timing)
    assert config.set_timing_cache(cache, ignore_mismatch=False)
    for flag in flags:
        config.set_flag(getattr(trt.BuilderFlag, flag))
    profile = builder.create_optimization_profile()
    if profile_name:
        profile.set_shape(profile_name, shape, shape, shape)
        config.add_optimization_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    return serialized, logger, config


def engine_of(trt, serialized):
    runtime = trt.Runtime(trt.Logger())
    return runtime, runtime.deserialize_cuda_engine(serialized)


def test_dynamic_dims_read_minus_one_until_the_context_has_an_input_shape(fake_trt):
    _runtime, engine = engine_of(fake_trt, build(fake_trt)[0])
    context = engine.create_execution_context()
    assert tuple(engine.get_tensor_shape("x")) == (-1, 4) and tuple(context.get_tensor_shape("y")) == (-1, 4)
    assert context.set_input_shape("x", (2, 4)) is True
    assert tuple(context.get_tensor_shape("y")) == (2, 4) and tuple(engine.get_tensor_shape("y")) == (-1, 4)


def test_setters_and_execute_answer_false_instead_of_raising(fake_trt):
    _runtime, engine = engine_of(fake_trt, build(fake_trt)[0])
    context = engine.create_execution_context()
    device = CpuDevice()
    assert context.execute_async_v3(device.stream_handle) is False  # no input shape yet
    assert context.set_input_shape("x", (3, 4)) is False  # outside the profile 2x4..2x4
    assert context.set_input_shape("y", (2, 4)) is False  # not an input
    assert context.set_input_shape("x", (2, 4)) is True
    assert context.execute_async_v3(device.stream_handle) is False  # no addresses yet
    buffer = device.empty((2, 4), torch.float32)
    assert context.set_tensor_address("x", buffer.data_ptr() + 4) is False  # not 256-byte aligned
    assert context.set_tensor_address("nope", buffer.data_ptr()) is False
    assert context.set_tensor_address("x", buffer.data_ptr()) and context.set_tensor_address("y", buffer.data_ptr())
    assert context.execute_async_v3(device.stream_handle) is True


def test_execution_is_asynchronous_and_captured_work_runs_only_on_replay(fake_trt):
    _runtime, engine = engine_of(fake_trt, build(fake_trt)[0])
    context = engine.create_execution_context()
    device = CpuDevice()
    x, y = device.empty((2, 4), torch.float32), device.empty((2, 4), torch.float32)
    device.to_device(np.ones((2, 4), np.float32), out=x)
    y.zero_()
    assert context.set_input_shape("x", (2, 4)) and context.set_tensor_address("x", x.data_ptr())
    assert context.set_tensor_address("y", y.data_ptr())
    assert context.execute_async_v3(device.stream_handle)
    assert float(y.sum()) == 0.0  # enqueued, not run
    device.synchronize()
    assert torch.equal(y, torch.full((2, 4), 3.0))
    y.zero_()
    replay = device.capture(lambda: context.execute_async_v3(device.stream_handle))
    device.synchronize()
    assert float(y.sum()) == 0.0  # capture records, it does not run
    device.to_device(np.full((2, 4), 2.0, np.float32), out=x)
    replay()
    device.synchronize()
    assert torch.equal(y, torch.full((2, 4), 5.0))  # the replay read x's address at run time


def test_build_returns_none_and_logs_on_what_tensorrt_refuses(fake_trt):
    serialized, logger, _ = build(fake_trt, flags=("FP16",))
    assert serialized is None and "strongly typed" in logger.errors()[-1]
    serialized, logger, _ = build(fake_trt, profile_name=None)
    assert serialized is None and "no optimization profile" in logger.errors()[-1]
    serialized, logger, _ = build(fake_trt, profile_name="input")
    assert serialized is None and "not a network input" in logger.errors()[-1]
    serialized, logger, _ = build(fake_trt, strongly_typed=False, flags=("INT8",))
    assert serialized is None and "no calibrator" in logger.errors()[-1]
    assert build(fake_trt, strongly_typed=False, flags=("FP16",))[0] is not None


def test_parser_reports_errors_through_num_errors_and_get_error(fake_trt):
    logger = fake_trt.Logger()
    parser = fake_trt.OnnxParser(fake_trt.Builder(logger).create_network(0), logger)
    assert parser.parse(b"not an onnx model") is False
    assert parser.num_errors == 1
    error = parser.get_error(0)
    assert error.code() == fake_trt.ErrorCode.MODEL_DESERIALIZE_FAILED and "Failed to parse ONNX" in str(error)


def test_the_network_needs_its_parser_until_the_build(fake_trt):
    logger = fake_trt.Logger()
    builder = fake_trt.Builder(logger)
    network = builder.create_network(1 << int(fake_trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    assert fake_trt.OnnxParser(network, logger).parse(tiny_onnx())  # the parser is dropped at once
    gc.collect()
    config = builder.create_builder_config()
    profile = builder.create_optimization_profile()
    profile.set_shape("x", (2, 4), (2, 4), (2, 4))
    config.add_optimization_profile(profile)
    assert builder.build_serialized_network(network, config) is None and "OnnxParser" in logger.errors()[-1]


def test_timing_cache_round_trip(fake_trt):
    _, _, config = build(fake_trt)
    saved = bytes(config.get_timing_cache().serialize())
    again, _, _ = build(fake_trt, timing=saved)
    header = fake_trt.plan_format.load(again)[0]
    assert header["timing"]["misses"] == 0 and header["timing"]["hits"] > 0
    assert config.create_timing_cache(b"garbage") is None
    other_gpu = fake_trt.ITimingCache(device="another GPU")
    assert config.set_timing_cache(other_gpu, ignore_mismatch=False) is False
    assert config.set_timing_cache(other_gpu, ignore_mismatch=True) is True


class RecordingCalibrator:
    """A calibrator over a fixed list of batches that records the order of TensorRT's calls."""

    def __new__(cls, trt, device, batches, cache=None):
        class Recording(trt.IInt8EntropyCalibrator2):
            def __init__(self):
                trt.IInt8EntropyCalibrator2.__init__(self)
                self.calls, self.cache, self.buffer = [], cache, device.empty((2, 4), torch.float32)
                self.batches = list(batches)

            def get_batch_size(self):
                self.calls.append("get_batch_size")
                return 2

            def get_batch(self, names):
                self.calls.append("get_batch")
                if not self.batches:
                    return None
                device.to_device(self.batches.pop(0), out=self.buffer)
                return [self.buffer.data_ptr()]

            def read_calibration_cache(self):
                self.calls.append("read_calibration_cache")
                return self.cache

            def write_calibration_cache(self, cache):
                self.calls.append("write_calibration_cache")
                self.cache = bytes(cache)

        return Recording()


def calibrated_build(trt, calibrator):
    logger = trt.Logger()
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    assert parser.parse(tiny_onnx())
    config = builder.create_builder_config()
    config.set_flag(trt.BuilderFlag.INT8)
    profile = builder.create_optimization_profile()
    profile.set_shape("x", (2, 4), (2, 4), (2, 4))
    config.add_optimization_profile(profile)
    config.int8_calibrator = calibrator
    assert config.set_calibration_profile(profile)
    return builder.build_serialized_network(network, config)


def test_calibrator_protocol_reads_cache_then_batches_then_writes(fake_trt):
    device = CpuDevice()
    batches = [np.full((2, 4), value, np.float32) for value in (1.0, -4.0, 2.0)]
    calibrator = RecordingCalibrator(fake_trt, device, batches)
    assert calibrated_build(fake_trt, calibrator) is not None
    assert calibrator.calls == ["get_batch_size", "read_calibration_cache", *["get_batch"] * 4, "write_calibration_cache"]
    assert calibrator.cache.startswith(b"TRT-101300-EntropyCalibration2\n")
    reused = RecordingCalibrator(fake_trt, device, batches, cache=calibrator.cache)
    header = fake_trt.plan_format.load(calibrated_build(fake_trt, reused))[0]
    assert reused.calls == ["get_batch_size", "read_calibration_cache"]
    assert header["calibration"]["scales"]["x"] == pytest.approx(4.0 / 127)  # the largest |x| seen


def test_tensorrt_11_removed_precision_flags_and_calibrators(fake_trt):
    serialized = build(fake_trt)[0]
    fake_trt.set_version("11.0.0")
    assert not hasattr(fake_trt.BuilderFlag, "FP16") and not hasattr(fake_trt.BuilderFlag, "INT8")
    assert not hasattr(fake_trt, "IInt8EntropyCalibrator2")
    config = fake_trt.Builder(fake_trt.Logger()).create_builder_config()
    with pytest.raises(AttributeError, match="removed in TensorRT 11"):
        config.int8_calibrator = object()
    assert engine_of(fake_trt, serialized)[1] is None  # a 10.x engine does not load in 11
    fake_trt.set_version()
    assert hasattr(fake_trt.BuilderFlag, "INT8") and hasattr(fake_trt, "IInt8EntropyCalibrator2")


def test_destroying_the_runtime_before_its_engine_is_undefined(fake_trt):
    logger = fake_trt.Logger()
    engine = fake_trt.Runtime(logger).deserialize_cuda_engine(build(fake_trt)[0])
    gc.collect()
    assert "Destroying a runtime" in logger.errors()[-1]
    with pytest.raises(fake_trt.UndefinedBehaviour):
        engine.create_execution_context()


def test_nptype_and_engine_dtypes_follow_the_onnx_types(fake_trt):
    _runtime, engine = engine_of(fake_trt, build(fake_trt, onnx_bytes=tiny_onnx(10))[0])
    assert engine.get_tensor_dtype("x") == fake_trt.DataType.HALF
    assert fake_trt.nptype(engine.get_tensor_dtype("y")) is np.float16
    with pytest.raises(TypeError):
        fake_trt.nptype(fake_trt.DataType.BF16)

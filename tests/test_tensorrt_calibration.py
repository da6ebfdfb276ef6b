"""The implicit-INT8 path (TensorRT <= 10): fp32 artifact + INT8/FP16 flags + an entropy calibrator
fed from the calibration .npy, its cache written, then read back by the next build; refused at 11."""

import numpy as np
import onnxruntime
import pytest

from accel.artifacts import engines
from accel.backends.options import RunnerOptions
from accel.backends.tensorrt import plugin
from accel.backends.tensorrt.calibrator import calibration_cache_name
from accel.backends.tensorrt.engine import BuilderOptions
from accel.errors import UsageError
from accel.matrix import Combination
from tests.fakes.cpu_device import CpuDevice

pytest_plugins = ("tests.fakes.trt_env",)  # fake_trt, fake_gpu, digits_store

MODEL = "digits_cnn"


@pytest.fixture
def calibration_cache(fake_trt, fake_gpu, digits_store, monkeypatch):
    """Calibration batches go to a CPU device; the cache file starts absent."""
    monkeypatch.setattr(engines, "calibration_device", CpuDevice)
    onnx_sha = digits_store.precision_entry(MODEL, None, "fp32").meta["sha256"]
    calib_sha = digits_store.calibration_entry(MODEL, None).meta["sha256"]
    path = digits_store.cache.root / "tensorrt" / calibration_cache_name(MODEL, onnx_sha, calib_sha)
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def test_calibrator_consumes_every_batch_writes_the_cache_and_the_next_build_reads_it(fake_trt, digits_store, calibration_cache):
    calibration_set = np.load(digits_store.calibration_entry(MODEL, None).path)
    first, plan = digits_store.engine_entry(MODEL, None, "int8", 8, "implicit-int8", BuilderOptions())
    built = fake_trt.plan_format.read_header(first.path)
    assert plan.calibrator and not built["strongly_typed"] and built["flags"] == ["FP16", "INT8"]
    assert built["calibration"]["source"] == "batches" and built["calibration"]["batches"] == len(calibration_set) // 8
    assert built["calibration"]["scales"]["input"] == pytest.approx(float(np.abs(calibration_set).max()) / 127)
    assert calibration_cache.read_bytes().startswith(b"TRT-101300-EntropyCalibration2\n")
    second, _ = digits_store.engine_entry(MODEL, None, "int8", 1, "implicit-int8", BuilderOptions())
    reread = fake_trt.plan_format.read_header(second.path)
    assert second.path != first.path and reread["calibration"]["source"] == "cache"
    assert reread["calibration"]["scales"] == built["calibration"]["scales"]


def test_calibrated_engine_runs_close_to_fp32(fake_trt, digits_store, calibration_cache):
    combo = Combination(MODEL, "tensorrt", "int8", "cuda", 8, 8)
    runner = plugin.create(combo, digits_store, RunnerOptions(trt_mode="implicit-int8"), device=CpuDevice())
    batch = digits_store.workload(MODEL).batch_of(8)
    fp32 = digits_store.precision_entry(MODEL, None, "fp32").path
    reference = onnxruntime.InferenceSession(str(fp32), providers=["CPUExecutionProvider"]).run(None, {"input": batch})[0]
    logits = runner.run(batch)
    assert not np.array_equal(logits, reference)  # the input was quantized with the calibrated scale
    np.testing.assert_allclose(logits, reference, atol=0.05 * float(np.abs(reference).max()))
    assert runner.describe()["builder_flags"] == ["INT8", "FP16"] and not runner.describe()["strongly_typed"]


def test_implicit_int8_is_refused_at_tensorrt_11_and_strong_typing_still_builds(fake_trt, fake_gpu, digits_store):
    fake_trt.set_version("11.0.0")
    with pytest.raises(UsageError, match="removed in TensorRT 11"):
        digits_store.engine_entry(MODEL, None, "int8", 8, "implicit-int8", BuilderOptions())
    entry, plan = digits_store.engine_entry(MODEL, None, "int8", 8, "strongly-typed", BuilderOptions())
    assert plan.strongly_typed and fake_trt.plan_format.read_header(entry.path)["version"] == "11.0.0"


def test_calibration_cache_is_named_by_network_and_data():
    name = calibration_cache_name("m", "a" * 64, "b" * 64)
    assert name != calibration_cache_name("m", "c" * 64, "b" * 64)  # other weights: recalibrate
    assert name != calibration_cache_name("m", "a" * 64, "d" * 64)  # other data: recalibrate

"""TensorRT engine builds from the digits model's precision artifacts, through the real artifact
store and its cache, on the fake `tensorrt` (tests/fakes/tensorrt)."""

import warnings

import pytest

from accel.artifacts.cache import ArtifactCache
from accel.artifacts.engines import file_label
from accel.artifacts.store import ArtifactStore
from accel.backends.tensorrt.build import TensorRTBuildError, build_engine
from accel.backends.tensorrt.engine import BuilderOptions, build_plan
from tests.fakes.tiny_model import tiny_onnx

pytest_plugins = ("tests.fakes.trt_env",)  # fake_trt, fake_gpu, digits_store

MODEL = "digits_cnn"
RECIPES = {"fp32": None, "fp16": None, "int8": "trt"}


def header(trt, entry):
    return trt.plan_format.read_header(entry.path)


@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_engine_is_built_strongly_typed_from_its_precision_artifact(fake_trt, fake_gpu, digits_store, precision):
    entry, plan = digits_store.engine_entry(MODEL, None, precision, 8, "strongly-typed", BuilderOptions())
    artifact = digits_store.precision_entry(MODEL, None, precision, RECIPES[precision])
    built, onnx_bytes = fake_trt.plan_format.load(entry.path.read_bytes())
    assert onnx_bytes == artifact.path.read_bytes()  # the artifact of this precision, not another
    assert built["strongly_typed"] and built["flags"] == [] and plan.strongly_typed
    assert built["profiles"] == [{"input": [[8, 1, 8, 8]] * 3}]  # fixed shape: min = opt = max
    assert entry.meta["fields"]["gpu_name"] == fake_gpu[0] and entry.meta["fields"]["trt_version"] == fake_trt.__version__


def test_second_call_is_a_cache_hit_and_a_changed_option_rebuilds(fake_trt, fake_gpu, digits_store):
    first, _ = digits_store.engine_entry(MODEL, None, "fp16", 1, "strongly-typed", BuilderOptions())
    assert first.built
    again, _ = ArtifactStore(ArtifactCache(digits_store.cache.root)).engine_entry(MODEL, None, "fp16", 1, "strongly-typed", BuilderOptions())
    assert not again.built and again.path == first.path
    options = BuilderOptions(workspace_mb=512, optimization_level=5)
    changed, _ = digits_store.engine_entry(MODEL, None, "fp16", 1, "strongly-typed", options)
    assert changed.built and changed.path != first.path
    assert (header(fake_trt, first)["workspace_bytes"], header(fake_trt, first)["optimization_level"]) == (2048 << 20, 3)
    assert (header(fake_trt, changed)["workspace_bytes"], header(fake_trt, changed)["optimization_level"]) == (512 << 20, 5)


def test_timing_cache_is_saved_and_reused_by_the_next_build(fake_trt, fake_gpu, digits_store):
    first, _ = digits_store.engine_entry(MODEL, None, "fp32", 8, "strongly-typed", BuilderOptions())
    timing = digits_store.cache.root / "tensorrt" / f"timing-tensorrt-{fake_trt.__version__}-{file_label(fake_gpu[0])}.cache"
    assert timing.read_bytes().startswith(fake_trt.ITimingCache.MAGIC)
    assert header(fake_trt, first)["timing"]["hits"] == 0
    second, _ = digits_store.engine_entry(MODEL, None, "fp32", 8, "strongly-typed", BuilderOptions(optimization_level=2))
    assert header(fake_trt, second)["timing"]["misses"] == 0 and header(fake_trt, second)["timing"]["hits"] > 0


def test_unreadable_timing_cache_is_replaced_not_fatal(fake_trt, tmp_path):
    onnx_path, timing = tmp_path / "tiny.onnx", tmp_path / "timing.cache"
    onnx_path.write_bytes(tiny_onnx())
    timing.write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="rejected the timing cache"):
        build_engine(onnx_path, tmp_path / "e.plan", build_plan("fp32", "strongly-typed", "10.13"), "x", (2, 4), BuilderOptions(), timing)
    assert timing.read_bytes().startswith(fake_trt.ITimingCache.MAGIC)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_engine(onnx_path, tmp_path / "f.plan", build_plan("fp32", "strongly-typed", "10.13"), "x", (2, 4), BuilderOptions(), timing)


def test_parser_errors_and_build_failures_are_named(fake_trt, tmp_path):
    broken, timing = tmp_path / "broken.onnx", tmp_path / "timing.cache"
    broken.write_bytes(b"\x08\x07garbage")
    plan = build_plan("fp32", "strongly-typed", "10.13")
    with pytest.raises(TensorRTBuildError, match="could not parse .*broken.onnx.*MODEL_DESERIALIZE_FAILED"):
        build_engine(broken, tmp_path / "e.plan", plan, "x", (2, 4), BuilderOptions(), timing)
    tiny = tmp_path / "tiny.onnx"
    tiny.write_bytes(tiny_onnx())
    with pytest.raises(TensorRTBuildError, match="failed to build"):
        build_engine(tiny, tmp_path / "e.plan", plan, "input", (2, 4), BuilderOptions(), timing)  # no such input
    implicit = build_plan("int8", "implicit-int8", "10.13")
    with pytest.raises(TensorRTBuildError, match="no calibration set"):
        build_engine(tiny, tmp_path / "e.plan", implicit, "x", (2, 4), BuilderOptions(), timing)

"""TensorRT build-path selection and engine cache keys: everything decided without a GPU."""

import sys

import pytest

from accel.backends.tensorrt.engine import (
    BuilderOptions,
    build_plan,
    engine_cache_fields,
)
from accel.errors import UsageError


@pytest.mark.parametrize("version", ["10.3.0", "11.0.1"])
@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_strongly_typed_builds_from_the_matching_artifact(version, precision):
    plan = build_plan(precision, "strongly-typed", version)
    assert plan.strongly_typed and plan.artifact_precision == precision
    assert plan.builder_flags == () and not plan.calibrator  # no FP16/INT8 flags: removed in TRT 11


def test_implicit_int8_only_before_tensorrt_11():
    plan = build_plan("int8", "implicit-int8", "10.13.0")
    assert not plan.strongly_typed and plan.artifact_precision == "fp32"
    assert plan.builder_flags == ("INT8", "FP16") and plan.calibrator
    with pytest.raises(UsageError, match="removed in TensorRT 11"):
        build_plan("int8", "implicit-int8", "11.0.0")
    with pytest.raises(UsageError, match="TensorRT-RTX"):
        build_plan("int8", "implicit-int8", "1.2.0", flavor="tensorrt_rtx")


def test_implicit_mode_leaves_float_precisions_strongly_typed():
    assert build_plan("fp16", "implicit-int8", "10.0.0").strongly_typed


def test_bad_mode_precision_and_options():
    with pytest.raises(UsageError, match="--trt-mode"):
        build_plan("fp16", "fast", "10.0.0")
    with pytest.raises(UsageError, match="fp32, fp16 or int8"):
        build_plan("bf16", "strongly-typed", "10.0.0")
    with pytest.raises(UsageError, match="--trt-opt-level"):
        BuilderOptions(optimization_level=9)


def fields(**overrides):
    base = dict(
        onnx_sha256="abc", plan=build_plan("fp16", "strongly-typed", "10.3.0"), precision="fp16", trt_version="10.3.0",
        flavor="tensorrt", gpu_name="NVIDIA H100 80GB HBM3", compute_capability="9.0", input_shape=(1, 3, 224, 224),
        options=BuilderOptions(), calibration_sha256=None,
    )  # fmt: skip
    base.update(overrides)
    return engine_cache_fields(**base)


@pytest.mark.parametrize(
    "change",
    [
        {"onnx_sha256": "def"},
        {"trt_version": "10.4.0"},
        {"gpu_name": "NVIDIA A100"},
        {"compute_capability": "8.0"},
        {"input_shape": (8, 3, 224, 224)},
        {"options": BuilderOptions(workspace_mb=4096)},
        {"options": BuilderOptions(optimization_level=5)},
        {"flavor": "tensorrt_rtx"},
    ],
)
def test_every_build_input_changes_the_engine_key(change):
    from accel.artifacts.cache import cache_key

    assert cache_key(fields(**change)) != cache_key(fields())


def test_calibration_hash_matters_only_for_the_implicit_path():
    from accel.artifacts.cache import cache_key

    assert cache_key(fields(calibration_sha256="x")) == cache_key(fields(calibration_sha256="y"))
    implicit = build_plan("int8", "implicit-int8", "10.3.0")
    assert cache_key(fields(plan=implicit, precision="int8", calibration_sha256="x")) != cache_key(
        fields(plan=implicit, precision="int8", calibration_sha256="y")
    )


@pytest.fixture
def module_named(tmp_path, monkeypatch):
    """Makes `accel_trt_probe` the only TensorRT module name, laid out as the test asks."""
    from accel.backends.tensorrt import api

    monkeypatch.setattr(api, "TRT_MODULES", ("accel_trt_probe",))
    monkeypatch.syspath_prepend(str(tmp_path))

    def layout(init_file: str) -> None:
        (tmp_path / "accel_trt_probe").mkdir()
        (tmp_path / "accel_trt_probe" / init_file).write_text("__version__ = '10.13.0'\n")

    yield layout
    sys.modules.pop("accel_trt_probe", None)


def test_a_stub_only_folder_is_not_tensorrt(module_named):
    from accel.backends.tensorrt.api import (
        installed_flavor,
        load_tensorrt,
        missing_reason,
    )

    module_named("__init__.pyi")  # what `pip install tensorrt-stubs` leaves: a namespace package
    assert installed_flavor() is None and "NVIDIA's index" in missing_reason()
    with pytest.raises(UsageError, match="neither 'tensorrt' nor 'tensorrt_rtx' is installed"):
        load_tensorrt()


def test_an_installed_module_is_found_and_loaded_with_its_version(module_named):
    from accel.backends.tensorrt.api import (
        installed_flavor,
        load_tensorrt,
        missing_reason,
    )

    module_named("__init__.py")
    assert installed_flavor() == "accel_trt_probe" and missing_reason() is None
    assert load_tensorrt().version == "10.13.0"

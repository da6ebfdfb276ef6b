"""The trtexec row end to end with a fake `trtexec` first on PATH (tests/fakes/trtexec.py), which
checks its arguments like trtexec and prints a summary in trtexec's real format."""

import json
import sys
from pathlib import Path

import pytest

from accel.backends.options import RunnerOptions
from accel.backends.tensorrt import trtexec_plugin
from accel.backends.tensorrt.engine import BuilderOptions
from accel.backends.tensorrt.trtexec import TrtexecError, trtexec_row
from accel.backends.tensorrt.trtexec_log import record_fields
from accel.matrix import Combination
from tests.test_trtexec import DISTINCT_SECTIONS, TRT_10_DISTINCT

pytest_plugins = ("tests.fakes.trt_env",)  # fake_trt, fake_gpu, digits_store

FAKES = Path(__file__).resolve().parent / "fakes"
MODEL = "digits_cnn"
COMBO = Combination(MODEL, "trtexec", "fp16", "cuda", 4, 8)


@pytest.fixture
def fake_trtexec(tmp_path, monkeypatch):
    """`trtexec` on PATH; returns the file its calls are recorded in."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "trtexec"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKES / "trtexec.py"}" "$@"\n')
    wrapper.chmod(0o755)
    log, calls = tmp_path / "summary.log", tmp_path / "calls.jsonl"
    log.write_text(TRT_10_DISTINCT)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path('/usr/bin')}:{Path('/bin')}")
    monkeypatch.setenv("FAKE_TRTEXEC_LOG", str(log))
    monkeypatch.setenv("FAKE_TRTEXEC_CALLS", str(calls))
    return calls


def recorded(calls: Path) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()]


def test_row_builds_once_then_times_the_cached_engine(fake_trtexec, fake_gpu, digits_store):
    summary, command = trtexec_row(COMBO, digits_store, BuilderOptions(), 500, 1000)
    assert summary.sections == DISTINCT_SECTIONS and summary.trt_version == "10.3.0"
    engine = Path(next(arg for arg in command if arg.startswith("--loadEngine=")).split("=", 1)[1])
    assert engine.is_file() and (engine.parent / "build.log").is_file() and (engine.parent / "bench-b4.log").is_file()
    assert command[0] == "trtexec" and "--shapes=input:4x1x8x8" in command and "--iterations=1000" in command
    builds = [call for call in recorded(fake_trtexec) if any(arg.startswith("--saveEngine=") for arg in call)]
    assert len(builds) == 1 and "--stronglyTyped" in builds[0] and "--memPoolSize=workspace:2048M" in builds[0]
    onnx = digits_store.precision_entry(MODEL, None, "fp16").path
    assert f"--onnx={onnx}" in builds[0]
    again, _ = trtexec_row(COMBO, digits_store, BuilderOptions(), 500, 1000)
    assert again == summary
    assert len([call for call in recorded(fake_trtexec) if any(a.startswith("--saveEngine=") for a in call)]) == 1


def test_record_fields_of_the_row(fake_trtexec, fake_gpu, digits_store):
    fields = record_fields(trtexec_row(COMBO, digits_store, BuilderOptions(), 500, 1000)[0], COMBO.batch)
    latency = DISTINCT_SECTIONS["latency_ms"]
    assert fields["latency_ms"] == {key: latency[key] for key in ("p50", "p90", "p99", "p999", "min", "max", "mean")}
    assert fields["throughput_ips"] == pytest.approx(24.4584 * 4)
    assert fields["breakdown_ms"]["inference"] == {"p50": 40.3651, "p99": 46.7526}
    assert fields["device_latency_ms"] == DISTINCT_SECTIONS["gpu_compute_ms"]


def test_engine_key_holds_the_gpu(fake_trtexec, fake_gpu, digits_store, monkeypatch):
    trtexec_row(COMBO, digits_store, BuilderOptions(), 500, 1000)
    from accel.artifacts import engines

    monkeypatch.setattr(engines, "gpu_identity", lambda: (f"Another {fake_gpu[0]}", "8.0"))
    trtexec_row(COMBO, digits_store, BuilderOptions(), 500, 1000)
    assert len([call for call in recorded(fake_trtexec) if any(a.startswith("--saveEngine=") for a in call)]) == 2


@pytest.mark.parametrize("step", ["build", "bench"])
def test_failure_names_the_command_exit_code_and_log_tail(fake_trtexec, fake_gpu, digits_store, monkeypatch, step):
    monkeypatch.setenv("FAKE_TRTEXEC_FAIL", step)
    with pytest.raises(TrtexecError, match=r"(?s)trtexec --.* exited 1; log .*\[E\] Error Code") as error:
        trtexec_row(COMBO, digits_store, BuilderOptions(), 500, 1000)
    assert "&&&& FAILED TensorRT.trtexec" in str(error.value)


def test_skip_reason_follows_path(fake_trtexec, monkeypatch):
    assert trtexec_plugin.missing(COMBO, RunnerOptions()) is None
    monkeypatch.setenv("PATH", "/nonexistent")
    assert "trtexec is not on PATH" in trtexec_plugin.missing(COMBO, RunnerOptions())

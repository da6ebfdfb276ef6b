"""Runs the real benchmark suite end to end on one small row, as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accel.backends.registry import skip_reason
from accel.matrix import Combination
from accel.measure.output_files import MARKER
from accel.measure.record import MEMORY_FIELDS, SKIPPED_FIELDS
from accel.measure.report import records_from_json

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = {"model", "backend", "precision", "device", "batch", "weights", "notes", "latency_ms", "throughput_ips", "memory"}
LATENCY = {"p50", "p90", "p99", "p999", "min", "max", "mean", "stdev", "n"}
# OpenVINO rows that run here: none without openvino, bf16/fp16 only where the CPU plugin has them.
OPENVINO_HERE = tuple(p for p in ("fp32", "fp16", "bf16", "int8") if skip_reason(Combination("digits_mlp", "openvino", p, "cpu", 2, 8)) is None)
ROWS_PER_MODEL = 2 * (5 + len(OPENVINO_HERE))  # (torch 2 + onnxruntime 3 + openvino) precisions x (inference, end_to_end)


def run_pytest(args, cache_dir, cwd):
    env = {**os.environ, "ACCEL_CACHE_DIR": str(cache_dir)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "benchmarks"), "-p", "no:cacheprovider", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("smoke")
    args = ["--models", "mobilenet_v3_small,digits_mlp", "--batch", "2", "--rounds", "5", "--warmup", "2", "--calib-size", "32",
            "--benchmark-json", "out.json"]
    result = run_pytest(args, workdir / "cache", workdir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir, result


@pytest.mark.slow
def test_every_row_carries_the_contract(smoke_run):
    workdir, _ = smoke_run
    data = json.loads((workdir / "out.json").read_text())
    rows = [b for b in data["benchmarks"] if b["extra_info"].get("model") in ("mobilenet_v3_small", "digits_mlp")]
    expected_pairs = {("torch", "fp32"), ("torch", "bf16"), ("onnxruntime", "fp32"), ("onnxruntime", "fp16"), ("onnxruntime", "int8")}
    expected_pairs |= {("openvino", precision) for precision in OPENVINO_HERE}
    assert {(b["extra_info"]["model"], b["extra_info"]["backend"], b["extra_info"]["precision"], b["extra_info"]["kind"]) for b in rows} == {
        (model, backend, precision, kind)
        for model in ("mobilenet_v3_small", "digits_mlp")
        for backend, precision in expected_pairs
        for kind in ("inference", "end_to_end")
    }
    for bench in rows:
        info = bench["extra_info"]
        assert CONTRACT <= set(info) and LATENCY == set(info["latency_ms"]) and set(MEMORY_FIELDS) == set(info["memory"])
        assert info["memory"]["rss_scoped"] is (sys.platform == "linux") and info["memory"]["runner_device_mb"] is None
        assert info["latency_ms"]["n"] == 5 == len(bench["stats"]["data"])
        assert info["latency_ms"]["p50"] == pytest.approx(bench["stats"]["median"] * 1e3)
        assert info["throughput_ips"] == pytest.approx(2 * 1e3 / info["latency_ms"]["mean"])
        if info["kind"] == "end_to_end":
            assert set(info["breakdown_ms"]) == {"preprocess", "inference", "postprocess"}
        if info["precision"] != "fp32":
            assert set(info["drift"]) >= {"top1_agreement", "top5_overlap", "cosine_mean", "cosine_min", "max_abs"}
            assert 0 < info["drift"]["max_abs"]
        if info["model"] == "digits_mlp":
            assert info["accuracy"]["n"] == 540 and 0.9 < info["accuracy"]["top1"] <= 1.0
    assert data["machine_info"]["cpu_model"] and "torch" in data["machine_info"]["packages"]
    assert data["accel"]["command"].startswith("pytest ")
    harness = next(b["extra_info"]["memory"] for b in data["benchmarks"] if b["extra_info"]["backend"] == "harness")
    assert abs(harness["runner_rss_mb"]) < 1 and harness["peak_rss_above_baseline_mb"] < 5  # no runner: about zero


@pytest.mark.slow
def test_table_printed_and_written(smoke_run):
    workdir, result = smoke_run
    assert "| Model | Backend | Precision | Device | Batch | Input | p50 (ms) | p99 (ms) | Throughput (img/s) | Config | Notes |" in result.stdout
    table = (workdir / "out.md").read_text()
    assert table.count("| mobilenet_v3_small |") == ROWS_PER_MODEL and table.count("| digits_mlp |") == ROWS_PER_MODEL
    report = subprocess.run([sys.executable, "-m", "accel", "report", str(workdir / "out.json")], capture_output=True, text=True)
    assert report.returncode == 0 and MARKER + "\n" + report.stdout == table
    assert len(records_from_json(workdir / "out.json")) == 2 * ROWS_PER_MODEL + 1  # + the harness no-op


@pytest.mark.slow
def test_warm_cache_reuses_and_corrupt_onnx_is_rebuilt(smoke_run):
    workdir, _ = smoke_run
    onnx_files = [
        path for path in (workdir / "cache" / "onnx-fp32").rglob("artifact.onnx")
        if json.loads((path.parent / "meta.json").read_text())["fields"]["model"] == "mobilenet_v3_small"
    ]  # fmt: skip
    assert len(onnx_files) == 1
    onnx_files[0].write_bytes(onnx_files[0].read_bytes()[:1000])  # truncate: corrupt entry
    args = ["--models", "mobilenet_v3_small", "--backends", "onnxruntime", "--precisions", "fp32", "--batch", "1", "--rounds", "3",
            "--warmup", "1", "-k", "inference"]
    result = run_pytest(args, workdir / "cache", workdir)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "is unusable" in result.stdout and "rebuilding" in result.stdout


@pytest.fixture(scope="module")
def skips_run(smoke_run):
    """Rows that are generated but cannot run: CUDA rows on a machine without CUDA, end-to-end rows
    above --end-to-end-max-batch. Three models, so per-row memory can be ranked; the largest runs
    first, so figures that grow with the process (not the row) would rank them the other way."""
    workdir, _ = smoke_run
    args = ["--models", "resnet18,mobilenet_v3_small,digits_mlp", "--backends", "torch,onnxruntime", "--precisions", "fp32",
            "--device", "cpu,cuda", "--batch", "1", "--end-to-end-max-batch", "0", "--rounds", "3", "--warmup", "1",
            "--benchmark-json", "skips.json"]  # fmt: skip
    result = run_pytest(args, workdir / "cache", workdir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir, result


@pytest.mark.slow
def test_skipped_rows_are_listed_with_their_reasons(skips_run):
    import torch

    workdir, result = skips_run
    skipped = json.loads((workdir / "skips.json").read_text())["accel"]["skipped"]
    assert all(set(row) == set(SKIPPED_FIELDS) for row in skipped)
    reasons = {(row["id"], row["test"]): row["reason"] for row in skipped}
    for model in ("digits_mlp", "mobilenet_v3_small", "resnet18"):
        for backend in ("torch", "onnxruntime"):
            assert "--end-to-end-max-batch=0" in reasons[(f"{model}-{backend}-fp32-cpu-b1", "test_end_to_end")]
            if not torch.cuda.is_available():
                assert "no CUDA device" in reasons[(f"{model}-{backend}-fp32-cuda-b1", "test_inference")]
    table = (workdir / "skips.md").read_text()
    assert "| digits_mlp-torch-fp32-cpu-b1 | test_end_to_end | end_to_end rows run up to --end-to-end-max-batch=0" in table
    assert "| Skipped row | Test | Reason |" in result.stdout
    report = subprocess.run([sys.executable, "-m", "accel", "report", str(workdir / "skips.json")], capture_output=True, text=True)
    assert report.returncode == 0 and MARKER + "\n" + report.stdout == table


@pytest.mark.slow
def test_row_memory_ranks_models_by_size(skips_run):
    workdir, _ = skips_run
    memory = {
        (info["model"], info["backend"]): info["memory"]
        for info in records_from_json(workdir / "skips.json")
        if info["device"] == "cpu" and info["kind"] == "inference"
    }
    for backend in ("torch", "onnxruntime"):
        for field in ("runner_rss_mb", "peak_rss_above_baseline_mb"):
            digits, mobilenet, resnet = (memory[(model, backend)][field] for model in ("digits_mlp", "mobilenet_v3_small", "resnet18"))
            assert digits < mobilenet < resnet, (backend, field, digits, mobilenet, resnet)
            assert digits < 5  # kilobytes to a few MB, not the process


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "vgg16"], "`--models` must be one of resnet18, mobilenet_v3_small, efficientnet_b0, digits_cnn, digits_mlp, all; got 'vgg16'"),
        (["--backends", "tensorflow"], "`--backends` must be one of"),
        (["--calib-method", "kl"], "`--calib-method` must be one of minmax, entropy, percentile; got 'kl'"),
        (["--drift-thresholds", "/nonexistent.toml"], "drift thresholds file '/nonexistent.toml' does not exist"),
        (["--images", "/nonexistent/photos", "--models", "resnet18", "--backends", "onnxruntime"], "does not exist"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    result = run_pytest([*args, "--rounds", "1", "--warmup", "0", "--batch", "1"], tmp_path / "cache", tmp_path)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr

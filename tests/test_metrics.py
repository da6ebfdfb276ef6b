"""docs/metrics.md is what its own command makes of the committed JSON files, and each cell comes
from the field the seed's column names."""

import json
import re
import shlex
from pathlib import Path

import pytest

from accel.__main__ import build_parser, main
from accel.errors import UsageError
from accel.measure.metrics import HEADER, render_metrics

ROOT = Path(__file__).resolve().parent.parent
METRICS_MD = ROOT / "docs" / "metrics.md"


def test_committed_metrics_md_is_what_its_command_makes(monkeypatch):
    """Regenerated in memory by the command the file states; a stale file or source fails here."""
    text = METRICS_MD.read_text()
    command = re.search(r"`(python -m accel metrics [^`]+)`", text).group(1)
    args = build_parser().parse_args(shlex.split(command)[3:])
    assert args.out == "docs/metrics.md"
    monkeypatch.chdir(ROOT)  # the command names its sources relative to the repository root
    assert render_metrics(args.json, command) == text


def run_file(tmp_path, records, gpus=(), name="run.json"):
    path = tmp_path / name
    data = {
        "machine_info": {"cpu_model": "Test CPU", "cores_logical": 4, "gpus": [{"name": gpu} for gpu in gpus],
                         "packages": {"torch": "2.14.1", "tensorrt": "10.3.0"}},
        "datetime": "2026-12-02T03:00:00", "accel": {"command": "pytest benchmarks --x"},
        "benchmarks": [{"extra_info": record} for record in records],
    }  # fmt: skip
    path.write_text(json.dumps(data))
    return str(path)


def record(**overrides):
    base = {"model": "resnet18", "backend": "torch", "precision": "fp32", "device": "cpu", "batch": 1, "input_size": 224,
            "kind": "inference", "notes": {}, "latency_ms": {"mean": 13.0, "p50": 12.5, "p99": 20.25}, "throughput_ips": 76.9}  # fmt: skip
    return base | overrides


def table_rows(text):
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("| ") and "Model" not in line]


def test_cells_come_from_their_fields(tmp_path):
    trt = record(backend="tensorrt", precision="fp16", device="cuda", batch=8, notes={"trt_version": "10.3.0", "workspace_mb": 2048},
                 memory={"runner_device_mb": 45.04, "runner_rss_mb": 3.0}, latency_ci_ms={"p99_tight": False})  # fmt: skip
    cpu = record(memory={"runner_rss_mb": 44.55, "runner_device_mb": None}, latency_ci_ms={"p99_tight": True})
    skipped_kinds = [record(kind="end_to_end"), record(backend="harness", model="noop")]
    text = render_metrics([run_file(tmp_path, [trt, cpu, *skipped_kinds], gpus=["NVIDIA H100 80GB HBM3"])], "python -m accel metrics X")
    rows = {row[1]: dict(zip(HEADER, row)) for row in table_rows(text)}
    assert set(rows) == {"tensorrt", "torch"}  # end-to-end and harness rows left out
    assert rows["tensorrt"] == {
        "Model": "resnet18", "Backend": "tensorrt", "Precision": "fp16", "Device": "cuda", "Batch": "8", "Input": "224",
        "Mean (ms)": "13.0", "p50 (ms)": "12.5", "p99 (ms)": "20.2 (loose)", "Throughput (img/s)": "76.9",
        "Memory (MB)": "45.0", "Workspace (MB)": "2048", "TensorRT": "10.3.0", "GPU": "NVIDIA H100 80GB HBM3",
    }  # fmt: skip
    assert (rows["torch"]["Memory (MB)"], rows["torch"]["p99 (ms)"], rows["torch"]["GPU"], rows["torch"]["TensorRT"]) == ("44.5", "20.2", "-", "-")
    assert "No row below ran TensorRT" not in text and "`python -m accel metrics X`" in text
    assert "Test CPU (4 cores), NVIDIA H100 80GB HBM3; torch 2.14.1, tensorrt 10.3.0; 2026-12-02" in text


def test_without_tensorrt_rows_says_why_its_columns_are_empty(tmp_path):
    text = render_metrics([run_file(tmp_path, [record()])], "cmd")
    assert "No row below ran TensorRT" in text
    assert table_rows(text)[0][HEADER.index("Memory (MB)")] == "-"  # a file from before the memory section


def test_command_writes_the_file_and_names_a_missing_source(tmp_path, capsys):
    source = run_file(tmp_path, [record()])
    out = tmp_path / "docs" / "metrics.md"
    assert main(["metrics", source, "--out", str(out)]) == 0
    assert out.read_text() == render_metrics([source], shlex.join(["python", "-m", "accel", "metrics", source, "--out", str(out)]))
    assert main(["metrics", str(tmp_path / "missing.json")]) == 2
    assert "missing.json" in capsys.readouterr().err
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(UsageError, match="list.json.* not a pytest-benchmark JSON"):
        render_metrics([str(tmp_path / "list.json")], "cmd")

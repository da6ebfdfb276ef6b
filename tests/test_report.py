import json

import pytest

from accel.__main__ import main
from accel.errors import UsageError
from accel.measure.report import HEADER, markdown_table, records_from_json, skipped_from_json


def record(**overrides):
    base = {
        "model": "resnet18", "backend": "onnxruntime", "precision": "fp32", "device": "cpu", "batch": 1,
        "kind": "inference", "notes": {"provider": "CPUExecutionProvider"},
        "latency_ms": {"p50": 12.345, "p99": 20.0}, "throughput_ips": 80.0,
    }  # fmt: skip
    base.update(overrides)
    return base


def test_table_has_seed_columns_and_rows():
    e2e = record(kind="end_to_end", breakdown_ms={"preprocess": {"p50": 3.0, "p99": 4.0}, "inference": {"p50": 9.0, "p99": 9.5}})
    table = markdown_table([e2e, record()])
    lines = table.strip().splitlines()
    assert lines[0] == "| " + " | ".join(HEADER) + " |"
    assert len(lines) == 4
    assert "| resnet18 | onnxruntime | fp32 | cpu | 1 | - | 12.3 | 20.0 | 80.0 | - | inference; provider=CPUExecutionProvider |" in lines[2]
    assert "end-to-end p50 ms: pre 3.00 / infer 9.00" in lines[3]


def test_input_size_sweep_rows_differ_and_sort_by_size():
    """An `--input-size 224,160` sweep: two rows alike but for the input size must not read alike."""
    lines = markdown_table([record(input_size=224), record(input_size=160)]).strip().splitlines()[2:]
    assert lines[0] != lines[1]
    assert lines[0].startswith("| resnet18 | onnxruntime | fp32 | cpu | 1 | 160 | ")
    assert lines[1].startswith("| resnet18 | onnxruntime | fp32 | cpu | 1 | 224 | ")
    header = [cell.strip() for cell in markdown_table([]).splitlines()[0].strip("|").split("|")]
    assert header.index("Input") == header.index("Batch") + 1


def test_notes_name_a_gpu_preprocess_path_and_the_energy_per_image():
    stages = {"preprocess": {"p50": 0.5, "p99": 0.7}, "inference": {"p50": 0.3, "p99": 0.4}}
    pil, gpu = (record(kind="end_to_end", breakdown_ms=stages, preprocess=path) for path in ("pil", "torchvision-cuda"))
    pil_line, gpu_line = markdown_table([pil]).splitlines()[2], markdown_table([gpu]).splitlines()[2]
    assert "end-to-end p50 ms: pre" in pil_line and "end-to-end p50 ms (torchvision-cuda preprocessing): pre 0.50 " in gpu_line
    energy = {"joules_per_image": 0.0123, "avg_power_w": 250.0}
    assert "12.3 mJ/image at 250 W" in markdown_table([record(energy=energy)])
    assert "mJ/image" not in markdown_table([record(energy={"joules_per_image": None, "unavailable": "no RAPL"})])


def test_records_from_json_and_errors(tmp_path):
    path = tmp_path / "out.json"
    path.write_text(json.dumps({"benchmarks": [{"extra_info": record()}, {"extra_info": {}}]}))
    assert records_from_json(path) == [record()]
    with pytest.raises(UsageError, match="no such file"):
        records_from_json(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UsageError, match="is not JSON"):
        records_from_json(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(UsageError, match="not a pytest-benchmark JSON"):
        records_from_json(tmp_path / "other.json")


SKIPPED = {"id": "resnet18-tensorrt-fp16-cuda-b1", "test": "test_inference", "model": "resnet18", "backend": "tensorrt",
           "precision": "fp16", "device": "cuda", "batch": 1, "input_size": 224, "reason": "no CUDA device"}  # fmt: skip


def test_report_reads_old_json_and_prints_the_skipped_rows_of_new_json(tmp_path, capsys):
    old = tmp_path / "old.json"  # written before the skipped list and the memory section existed
    old.write_text(json.dumps({"benchmarks": [{"extra_info": record(peak_rss_mb=3500.0)}], "accel": {"command": "pytest"}}))
    new = tmp_path / "new.json"
    new.write_text(json.dumps({"benchmarks": [{"extra_info": record()}], "accel": {"skipped": [SKIPPED]}}))
    assert skipped_from_json(old) == [] and skipped_from_json(new) == [SKIPPED]
    assert main(["report", str(old)]) == 0
    assert capsys.readouterr().out == markdown_table([record(peak_rss_mb=3500.0)])
    assert main(["report", str(new)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(markdown_table([record()]))
    assert "| resnet18-tensorrt-fp16-cuda-b1 | test_inference | no CUDA device |" in out

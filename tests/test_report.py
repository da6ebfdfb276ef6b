import json

import pytest

from accel.errors import UsageError
from accel.measure.report import HEADER, markdown_table, records_from_json


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
    assert "| resnet18 | onnxruntime | fp32 | cpu | 1 | 12.3 | 20.0 | 80.0 | inference; provider=CPUExecutionProvider |" in lines[2]
    assert "end-to-end p50 ms: pre 3.00 / infer 9.00" in lines[3]


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

"""Rows measured on a busy machine are flagged, not hidden."""

import json

import pytest

from accel.measure import report
from accel.measure.load import LoadReading, busy_reason, load_fields, read_load


def test_load_above_the_core_count_flags_the_row():
    quiet, busy = LoadReading(1.5, 2000.0, None), LoadReading(2.5, 1800.0, None)
    assert busy_reason(quiet, quiet, cores=2) is None
    assert busy_reason(LoadReading(2.0, None, None), quiet, cores=2) is None  # equal to the core count: not above
    assert busy_reason(quiet, busy, cores=2) == "load average 2.50 > 2 cores"
    fields = load_fields(quiet, busy, cores=2)
    assert fields["loadavg_1m"] == [1.5, 2.5] and fields["cpu_mhz"] == [2000.0, 1800.0] and fields["busy"]


def test_another_gpu_process_flags_the_row():
    assert busy_reason(LoadReading(0.1, None, 0), LoadReading(0.1, None, 1), cores=2) == "1 other process(es) on the GPU"
    assert busy_reason(LoadReading(0.1, None, None), LoadReading(0.1, None, None), cores=2) is None


def test_a_reading_of_this_machine():
    reading = read_load("cpu")
    assert reading.loadavg_1m is not None and reading.loadavg_1m >= 0 and reading.other_gpu_processes is None


def test_busy_rows_are_flagged_in_the_table():
    record = {"model": "m", "backend": "b", "precision": "fp32", "device": "cpu", "batch": 1, "kind": "inference",
              "latency_ms": {"p50": 1.0, "p99": 2.0}, "throughput_ips": 1000.0, "system_load": {"busy": "load average 3.00 > 2 cores"}}  # fmt: skip
    assert "BUSY MACHINE (load average 3.00 > 2 cores)" in report.markdown_table([record])


def test_report_keeps_every_complete_row_and_warns_about_each_incomplete_one(tmp_path):
    good = {"model": "m", "backend": "b", "precision": "fp32", "device": "cpu", "batch": 1, "latency_ms": {"p50": 1.0, "p99": 2.0}, "throughput_ips": 1.0}
    no_batch = {key: value for key, value in good.items() if key != "batch"}
    no_p99 = {**good, "latency_ms": {"p50": 1.0}}
    path = tmp_path / "out.json"
    path.write_text(json.dumps({"benchmarks": [{"name": "a", "extra_info": good}, {"name": "b", "extra_info": no_batch},
                                               {"name": "c", "extra_info": no_p99}]}))  # fmt: skip
    with pytest.warns(report.IncompleteRecordWarning) as caught:
        records = report.records_from_json(path)
    assert records == [good]
    assert [str(w.message).split(": ", 1)[1] for w in caught] == ["b left out of the table: no batch", "c left out of the table: no latency_ms.p99"]


def test_every_measured_row_carries_its_load_readings():
    from accel.matrix import Combination
    from accel.measure.row import FromRounds, Row, measure_row
    from accel.measure.timing import RoundPolicy

    row = Row(Combination("noop", "harness", "-", "cpu", 1), "inference", "n/a", lambda: None)
    record = measure_row(row, FromRounds(1, {}), lambda target, rounds: [1e-3] * rounds, RoundPolicy(warmup=0, rounds=3))
    load = record["system_load"]
    assert len(load["loadavg_1m"]) == 2 and all(value is not None for value in load["loadavg_1m"])
    assert load["cores"] >= 1 and "busy" in load

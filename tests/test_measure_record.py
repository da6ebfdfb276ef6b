"""The record contract: the one builder refuses a record that lacks a field or has an unnamed one."""

import pytest

from accel.matrix import Combination
from accel.measure.record import (
    MEMORY_FIELDS,
    REQUIRED_FIELDS,
    RecordContractError,
    Timing,
    benchmark_record,
    check_record,
)
from accel.measure.stats import LATENCY_FIELDS

COMBO = Combination("resnet18", "trtexec", "fp16", "cuda", 8)
MEMORY = dict.fromkeys(MEMORY_FIELDS, 0.0)


def good_record():
    return benchmark_record(COMBO, "inference", "w", Timing.from_samples([0.001, 0.003], 8), MEMORY, {}, 0)


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
def test_a_record_without_a_contract_field_is_refused(field):
    record = good_record()
    del record[field]
    with pytest.raises(RecordContractError, match=field):
        check_record(record)


def test_a_field_outside_the_contract_or_an_incomplete_section_is_refused():
    with pytest.raises(RecordContractError, match="latency"):
        benchmark_record(COMBO, "inference", "w", Timing.from_samples([0.001], 8), MEMORY, {}, 0, extra={"latency": 1.0})
    with pytest.raises(RecordContractError, match="stdev"):
        benchmark_record(COMBO, "inference", "w", Timing({"p50": 1.0, "p99": 2.0}, 8.0), MEMORY, {}, 0)
    with pytest.raises(RecordContractError, match="runner_rss_mb"):
        benchmark_record(COMBO, "inference", "w", Timing.from_samples([0.001], 8), {"rss_scoped": True}, {}, 0)


def test_a_tools_summary_fills_every_latency_field_with_null_where_unreported():
    summary = {"min": 0.5, "max": 2.0, "mean": 1.0, "p50": 0.9, "p90": 1.2, "p95": 1.3, "p99": 1.8, "p999": 1.9}
    record = benchmark_record(COMBO, "inference", "w", Timing.from_summary(summary, 800.0), MEMORY, {}, 0)
    assert tuple(record["latency_ms"]) == LATENCY_FIELDS
    assert record["latency_ms"]["stdev"] is None and record["latency_ms"]["n"] is None and record["latency_ms"]["p50"] == 0.9

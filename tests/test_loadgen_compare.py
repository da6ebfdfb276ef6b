import numpy as np
import pytest

from accel.errors import UsageError
from accel.tools.loadgen_compare import loadgen_server, parse_summary

# The lines of a real LoadGen 6.0 Server summary that the comparison reads (values from this machine).
SUMMARY = """================================================
MLPerf Results Summary
================================================
SUT name : PySUT
Scenario : Server
Mode     : PerformanceOnly
Completed samples per second    : 44.93
Result is : INVALID
================================================
Additional Stats
================================================
Scheduled samples per second : 45.02
Min latency (ns)                : 9766172
Max latency (ns)                : 98211935
Mean latency (ns)               : 21301555
50.00 percentile latency (ns)   : 15000001
90.00 percentile latency (ns)   : 38765432
95.00 percentile latency (ns)   : 47000000
97.00 percentile latency (ns)   : 52000000
99.00 percentile latency (ns)   : 64112233
99.90 percentile latency (ns)   : 90000000
"""


def test_summary_percentiles_in_ms_and_rates():
    values = parse_summary(SUMMARY)
    assert values["p50"] == pytest.approx(15.000001) and values["p90"] == pytest.approx(38.765432)
    assert values["p99"] == pytest.approx(64.112233)  # not the 99.90 line
    assert values["mean"] == pytest.approx(21.301555)
    assert values["completed_qps"] == 44.93 and values["scheduled_qps"] == 45.02


def test_a_summary_without_percentiles_is_an_error():
    with pytest.raises(UsageError, match="p99"):
        parse_summary(SUMMARY.replace("99.00 percentile", "99.5 percentile"))


class CountingService:
    def __init__(self):
        self.served = 0

    def execute(self, size):
        self.served += size


def test_loadgen_drives_the_service_and_its_summary_is_read():
    pytest.importorskip("mlperf_loadgen", reason="mlcommons-loadgen is not installed (pip install mlcommons-loadgen)")
    service = CountingService()
    values = loadgen_server(service, rate_qps=200.0, duration_s=0.5, seed=0)
    assert service.served > 0
    assert 0 < values["p50"] <= values["p90"] <= values["p99"] and values["completed_qps"] > 0


def test_compare_pairs_both_drivers_with_the_models_on_a_synthetic_server():
    pytest.importorskip("mlperf_loadgen", reason="mlcommons-loadgen is not installed (pip install mlcommons-loadgen)")
    from accel.tools.loadgen_compare import SleepService, compare, markdown

    service = SleepService(0.001)
    rows = compare(service, [100.0, 2000.0], duration_s=0.3, repeats=1, seed=0, service_samples_s=np.full(20, 0.001))
    assert [row["target_qps"] for row in rows] == [100.0, 2000.0]
    assert set(rows[0]["predicted_p99_ms"]) == {"M/M/1", "M/D/1", "M/G/1"}
    assert rows[1]["predicted_p99_ms"] == {}  # 2000 QPS through a 1 ms server: no steady state to predict
    assert rows[0]["suite_over_loadgen"]["p99"] == pytest.approx(rows[0]["suite_ms"]["p99"] / rows[0]["loadgen_ms"]["p99"])
    assert "| unstable |" in markdown(rows)

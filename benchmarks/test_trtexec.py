"""Rows built and timed by NVIDIA's trtexec (skipped, with the reason, where it is not on PATH).

trtexec does its own warmup and timing; its summary is parsed into the same record contract, and
the exact commands are recorded. pytest-benchmark times the whole trtexec call as one round.
"""

from __future__ import annotations

from accel.matrix import Combination
from accel.measure.memory import PeakMemory
from accel.measure.record import benchmark_record
from accel.backends.tensorrt.trtexec_log import record_fields
from accel.backends.tensorrt.trtexec import trtexec_row
from benchmarks.plugin import RUNNER_OPTIONS

COMBO_BACKENDS = ("trtexec",)
TRTEXEC_WARMUP_MS = 500
TRTEXEC_ITERATIONS = 1000


def test_trtexec(combo: Combination, store, benchmark, pytestconfig, save_record):
    options = pytestconfig.stash[RUNNER_OPTIONS].trt_builder
    result = {}

    def run() -> None:
        result["summary"], result["command"] = trtexec_row(combo, store, options, TRTEXEC_WARMUP_MS, TRTEXEC_ITERATIONS)

    with PeakMemory("cpu") as memory:
        benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    fields = record_fields(result["summary"], combo.batch)
    record = benchmark_record(combo, "inference", store.weights_label(combo.model), [fields["latency_ms"]["p50"] * 1e-3],
                              {"engine": "trtexec", "command": " ".join(result["command"])}, memory, 0)  # fmt: skip
    record.update(fields)
    save_record(record)
    assert record["latency_ms"]["p50"] > 0

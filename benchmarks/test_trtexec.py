"""Rows built and timed by NVIDIA's trtexec (skipped, with the reason, where it is not on PATH).

trtexec does its own warmup and timing; its summary is parsed into the same record contract
(statistics it does not report, such as stdev, are null), and the exact commands are recorded.
pytest-benchmark times the whole trtexec call as one round, through the same row protocol as
every other row. Memory fields cover this process only: trtexec runs as a subprocess.
"""

from __future__ import annotations

from collections.abc import Sequence

from accel.backends.tensorrt.trtexec import trtexec_row
from accel.backends.tensorrt.trtexec_log import record_fields
from accel.matrix import Combination
from accel.measure.record import Timing, complete_latency
from accel.measure.row import Outcome
from accel.measure.timing import RoundPolicy
from benchmarks.plugin import RUNNER_OPTIONS

COMBO_BACKENDS = ("trtexec",)
TRTEXEC_WARMUP_MS = 500
TRTEXEC_ITERATIONS = 1000
ONE_CALL = RoundPolicy(warmup=0, rounds=1)  # trtexec warms up and times itself


def test_trtexec(combo: Combination, store, measure, pytestconfig):
    options = pytestconfig.stash[RUNNER_OPTIONS].trt_builder
    result = {}

    def run() -> None:
        result["summary"], result["command"] = trtexec_row(combo, store, options, TRTEXEC_WARMUP_MS, TRTEXEC_ITERATIONS)

    def outcome(samples_s: Sequence[float], rounds: int) -> Outcome:
        fields = record_fields(result["summary"], combo.batch)
        extra = {"breakdown_ms": fields["breakdown_ms"], "device_latency_ms": complete_latency(fields["device_latency_ms"]),
                 "enqueue_ms": fields["enqueue_ms"]}  # fmt: skip
        notes = {"engine": "trtexec", "command": " ".join(result["command"]), "memory_scope": "this process (trtexec is a subprocess)"}
        return Outcome(Timing.from_summary(fields["latency_ms"], fields["throughput_ips"]), notes, extra)

    record = measure(combo, "inference", run, outcome, policy=ONE_CALL)
    assert not record or record["latency_ms"]["p50"] > 0

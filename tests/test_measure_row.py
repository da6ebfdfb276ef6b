"""The row protocol: warm-up, timed rounds, memory, record, with a plain loop as the timer
(what pytest-benchmark's pedantic is in the suite) and a virtual clock where durations matter."""

import pytest

from accel.backends.base import Runner
from accel.matrix import Combination
from accel.measure import end_to_end
from accel.measure.end_to_end import EndToEnd
from accel.measure.record import MEMORY_FIELDS, Timing
from accel.measure.row import FromRounds, Outcome, Row, measure_row
from accel.measure.timing import RoundPolicy, time_calls

COMBO = Combination("digits_mlp", "torch", "fp32", "cpu", 2, 8)
NOOP_ROW = Row(COMBO, "inference", "w", lambda: None)


def plain_loop(target, rounds):
    return time_calls(target, rounds, warmup=0)


def fixed_samples(samples_s):
    def timed(target, rounds):
        for _ in range(rounds):
            target()
        return samples_s

    return timed


class VirtualClock:
    """now_ns stand-in: advanced by the code under test, so durations are exact and known."""

    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


class SlowFirstWorkload:
    """Preprocessing takes 1 s on the first `slow_calls` calls (the warm-up), 1 ms afterwards."""

    raw_items = (0, 1, 2)

    def __init__(self, clock: VirtualClock, slow_calls: int) -> None:
        self.clock = clock
        self.slow_calls = slow_calls
        self.calls = 0

    def preprocess(self, items):
        self.calls += 1
        self.clock.ns += 1_000_000_000 if self.calls <= self.slow_calls else 1_000_000
        return [float(item) for item in items]

    def batch_of(self, batch):
        return [0.0] * batch


class ListRunner(Runner):
    def upload(self, batch):
        return batch

    def enqueue(self, inputs):
        return inputs

    def download(self, outputs):
        import numpy as np

        return np.tile(np.arange(10, dtype=np.float32), (len(outputs), 1))

    def describe(self):
        return {"engine": "list"}


def test_end_to_end_stages_keep_only_the_measured_rounds(monkeypatch):
    clock = VirtualClock()
    monkeypatch.setattr(end_to_end, "now_ns", clock)
    workload = SlowFirstWorkload(clock, slow_calls=3)
    pipeline = EndToEnd(ListRunner(COMBO), workload, batch=2)
    outcome = FromRounds(2, {}, stages=pipeline.stage_samples)
    record = measure_row(Row(COMBO, "end_to_end", "w", pipeline), outcome, plain_loop, RoundPolicy(warmup=3, rounds=5))
    assert workload.calls == 8
    assert record["breakdown_ms"]["preprocess"] == {"p50": pytest.approx(1.0), "p99": pytest.approx(1.0)}


def test_record_throughput_is_batch_over_mean_round_time():
    samples_s = [0.001, 0.002, 0.009]  # median 2 ms, mean 4 ms
    record = measure_row(NOOP_ROW, FromRounds(2, {}), fixed_samples(samples_s), RoundPolicy(warmup=1, rounds=3))
    assert record["latency_ms"]["p50"] == pytest.approx(2.0)
    assert record["throughput_ips"] == pytest.approx(2 / 0.004)


def test_every_row_gets_the_memory_section_and_warmup_count():
    record = measure_row(NOOP_ROW, FromRounds(2, {"engine": "x"}), plain_loop, RoundPolicy(warmup=2, rounds=4))
    assert set(record["memory"]) == set(MEMORY_FIELDS)
    assert record["warmup_rounds"] == 2 and record["latency_ms"]["n"] == 4


def test_own_outcome_replaces_the_wall_clock_latency_and_disabled_timing_records_nothing():
    simulated = Outcome(Timing.from_samples([0.5, 0.5], 1), {"latency_source": "simulated"})
    record = measure_row(NOOP_ROW, lambda samples, rounds: simulated, plain_loop, RoundPolicy(warmup=0, rounds=1))
    assert record["latency_ms"]["p50"] == pytest.approx(500.0) and record["notes"] == {"latency_source": "simulated"}
    assert measure_row(NOOP_ROW, FromRounds(2, {}), lambda target, rounds: None, RoundPolicy(rounds=1)) is None

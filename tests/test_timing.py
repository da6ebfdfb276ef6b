import time

import pytest

from accel.measure import timing
from accel.measure.timing import RoundPolicy, perf_counter_seconds, time_calls


def test_perf_counter_seconds_is_perf_counter_ns_in_seconds():
    before = time.perf_counter_ns() * 1e-9
    value = perf_counter_seconds()
    after = time.perf_counter_ns() * 1e-9
    assert before <= value <= after


def test_fixed_rounds_override_budget():
    calls = []
    assert RoundPolicy(warmup=3, rounds=7).warm_up(lambda: calls.append(1)) == 7
    assert len(calls) == 3


def test_fixed_rounds_with_no_warmup_run_nothing_before_the_measured_rounds():
    calls = []
    assert RoundPolicy(warmup=0, rounds=1).warm_up(lambda: calls.append(1)) == 1
    assert calls == []


def test_time_calls_drops_the_warmup_calls(monkeypatch):
    clock = [0]
    monkeypatch.setattr(timing, "now_ns", lambda: clock[0])
    calls = []

    def target():  # the 3 warmup calls take 1 s each on the virtual clock, the measured ones 1 ms
        calls.append(1)
        clock[0] += 1_000_000_000 if len(calls) <= 3 else 1_000_000

    assert time_calls(target, iterations=5, warmup=3) == [pytest.approx(1e-3)] * 5


def test_budget_is_clamped():
    slow = RoundPolicy(warmup=2, min_rounds=5, max_rounds=50, max_time_s=0.001)
    assert slow.warm_up(lambda: time.sleep(0.002)) == 5
    fast = RoundPolicy(warmup=2, min_rounds=5, max_rounds=50, max_time_s=10)
    assert fast.warm_up(lambda: None) == 50


def test_budget_scales_with_duration():
    policy = RoundPolicy(warmup=3, min_rounds=1, max_rounds=10_000, max_time_s=0.2)
    rounds = policy.warm_up(lambda: time.sleep(0.01))
    assert 5 <= rounds <= 20


def test_inconsistent_policy_rejected():
    with pytest.raises(ValueError):
        RoundPolicy(min_rounds=10, max_rounds=5)

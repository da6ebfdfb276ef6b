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


def virtual_target(monkeypatch, durations_s):
    """A target whose calls take the given durations on a virtual clock (cycled); returns the call log."""
    clock = [0]
    calls = []
    monkeypatch.setattr(timing, "now_ns", lambda: clock[0])

    def target():
        clock[0] += int(durations_s[len(calls) % len(durations_s)] * 1e9)
        calls.append(1)

    return target, calls


def test_a_steady_target_stops_at_the_fewest_rounds_that_bound_p99(monkeypatch):
    target, calls = virtual_target(monkeypatch, [1e-3])
    policy = RoundPolicy(warmup=10, max_time_s=100.0, max_rounds=10_000, pilot_share=0.2)
    assert policy.warm_up(target) == 368  # 1 ms every round: the first bounded interval is tight
    assert len(calls) == 10 + 2000  # warmup, then a pilot of 20% of the 10,000-round cap


def test_a_tail_that_cannot_settle_within_the_cap_runs_as_long_as_the_pilot(monkeypatch):
    durations = [1e-3] * 97 + [5e-3, 9e-3, 20e-3]  # 3% of rounds far out: p99 sits on a cliff
    target, calls = virtual_target(monkeypatch, durations)
    policy = RoundPolicy(warmup=10, max_time_s=100.0, max_rounds=5000, pilot_share=0.2)
    assert policy.warm_up(target) == 1000
    assert len(calls) == 10 + 1000


def test_no_pilot_when_the_cap_cannot_bound_p99(monkeypatch):
    target, calls = virtual_target(monkeypatch, [3e-3])
    policy = RoundPolicy(warmup=10, max_time_s=1.0, pilot_share=0.2)  # 333 rounds fit: fewer than 368
    assert policy.warm_up(target) == 333
    assert len(calls) == 10


def test_a_fixed_count_ignores_the_tolerance(monkeypatch):
    target, calls = virtual_target(monkeypatch, [1e-3, 50e-3])
    assert RoundPolicy(warmup=2, rounds=9, p99_tolerance=0.01).warm_up(target) == 9 and len(calls) == 2


@pytest.mark.parametrize("settings", [{"p99_tolerance": 0}, {"p99_tolerance": 1.5}, {"pilot_share": -0.1}, {"pilot_share": 2}])
def test_bad_plan_settings_rejected(settings):
    with pytest.raises(ValueError):
        RoundPolicy(**settings)

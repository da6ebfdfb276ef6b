"""Server, peak and Offline scenarios with fake runners and a virtual clock: no model, no timing."""

import numpy as np
import pytest

from accel.errors import UsageError
from accel.matrix import Combination
from accel.measure.offline import batch_sweep, best_batch, sweep_sizes
from accel.measure.peak import confirm_peak, default_bound_ms, find_peak
from accel.measure.queueing import constant_service, simulate_fifo
from accel.measure.report import notes
from accel.measure.row import Row, measure_row
from accel.measure.server import BatchingPolicy, ServerTrace, VirtualClock
from accel.measure.service import BatchService
from accel.measure.serving import (
    ServerLoad,
    ServerOptions,
    ServerPlan,
    loop_capacity_qps,
    model_predictions,
    parse_loads,
    run_server,
    server_outcome,
    service_by_size,
    simulate_policy,
)
from accel.measure.timing import RoundPolicy
from tests.fakes.clocks import TickingClock
from tests.fakes.runner import EchoRunner

MS = 1e-3
DYNAMIC = Combination("digits_mlp", "onnxruntime", "fp32", "cpu", 4, 8)
FIXED = Combination("digits_mlp", "torch-cudagraph", "fp32", "cuda", 4, 8)  # a captured graph: one batch size


class FakeRunner(EchoRunner):
    def __init__(self, combo):
        super().__init__(combo)
        self.prepared, self.uploaded = [], []

    def prepare(self, batch):
        self.prepared.append(len(batch))

    def upload(self, batch):
        self.uploaded.append(len(batch))
        return batch

    def describe(self):
        return {"engine": "fake"}


class FakeWorkload:
    def batch_of(self, batch):
        return np.zeros((batch, 3))


def test_batch_service_prepares_every_size_and_serves_exact_batches():
    runner = FakeRunner(DYNAMIC)
    service = BatchService(runner, FakeWorkload(), 4)
    assert runner.prepared == [1, 2, 3, 4]
    service.execute(3)
    assert runner.uploaded == [3]


def test_a_fixed_size_runner_serves_padded_batches():
    runner = FakeRunner(FIXED)
    service = BatchService(runner, FakeWorkload(), 4)
    service.execute(1)
    assert runner.uploaded == [4]
    with pytest.raises(ValueError):
        BatchService(FakeRunner(FIXED), FakeWorkload(), 2)


def test_back_to_back_is_bounded_by_the_most_rounds():
    service = BatchService(FakeRunner(DYNAMIC), FakeWorkload(), 1)
    assert len(service.back_to_back_s(1, seconds=10.0, most=50)) == 50


def test_loads_parse_into_labelled_rates():
    loads = parse_loads("0.3,0.85", "45")
    assert [load.label for load in loads] == ["u30", "u85", "q45"]
    assert loads[0].rate(capacity_qps=100) == pytest.approx(30) and loads[2].rate(capacity_qps=100) == 45
    assert parse_loads(None, None) == ()
    for bad in ("fast", "0", "-0.5"):
        with pytest.raises(UsageError):
            parse_loads(bad, None)
    with pytest.raises(UsageError):
        ServerLoad(utilisation=0.5, qps=10)
    with pytest.raises(UsageError):
        ServerOptions(loads=())


def test_peak_probes_last_long_enough_to_bound_p99():
    options = ServerOptions(peak_probe_s=3.0)
    assert options.probe_plan(1000.0).time_cap_s == 3.0  # 3,000 queries: plenty
    assert options.probe_plan(40.0).time_cap_s == pytest.approx(368 / 40)  # 3 s would be 120 queries
    assert options.probe_plan(40.0).until_tight is False


def test_stop_rule_needs_min_queries_min_duration_and_a_tight_p99():
    rule = ServerPlan(min_queries=500, min_duration_s=5.0, p99_tolerance=0.05).stop_rule()
    assert not rule(np.full(499, 0.010), 10.0)
    assert not rule(np.full(500, 0.010), 4.9)
    assert rule(np.full(500, 0.010), 5.0)
    heavy = np.random.default_rng(0).pareto(1.2, 5000)
    assert not rule(heavy, 10.0)


def virtual_execute(clock, per_batch_s):
    return lambda size: clock.advance(per_batch_s(size))


def test_a_server_run_stops_once_p99_is_tight():
    clock = VirtualClock()
    plan = ServerPlan(time_cap_s=10_000, min_queries=1000)  # 1 QPS for 10,000 s, but no queueing: tight once 1000 arrived
    trace = run_server(1.0, BatchingPolicy(), virtual_execute(clock, lambda size: MS), plan, clock)
    assert len(trace.response_s) == 1000
    probe = ServerPlan(time_cap_s=300, until_tight=False)
    clock = VirtualClock()
    assert len(run_server(10.0, BatchingPolicy(), virtual_execute(clock, lambda size: MS), probe, clock).response_s) == 3000


def test_loop_capacity_is_the_batch_1_rate_of_the_loop_over_a_backlog():
    clock = VirtualClock()
    sizes = []

    def execute(size):
        sizes.append(size)
        clock.advance(2 * MS)

    assert loop_capacity_qps(execute, 400, clock) == pytest.approx(500.0)
    assert sizes == [1] * 400  # one query at a time, however many wait
    costly = TickingClock(0.1 * MS)
    with_loop = loop_capacity_qps(virtual_execute(costly, lambda size: 2 * MS), 400, costly)
    # three readings a query (before admitting, around the batch): 2.3 ms a query, where the runner's
    # 2 ms alone would claim 500 QPS and the batches' own timing (2.1 ms) 476
    assert with_loop == pytest.approx(1 / (2.3 * MS), rel=0.01)


def a_trace(policy, rate, per_batch_s, seconds=200.0):
    clock = VirtualClock()
    return run_server(rate, policy, virtual_execute(clock, per_batch_s), ServerPlan(seconds, until_tight=False), clock)


def test_server_outcome_is_a_contract_record_with_the_load_curve():
    trace = a_trace(BatchingPolicy(), 50.0, lambda size: 10 * MS)
    outcome = server_outcome(trace, 50.0, BatchingPolicy(), np.full(50, 10 * MS), {"engine": "fake"}, {"drift": None})
    record = measure_row(Row(DYNAMIC, "server", "w", lambda: None), lambda samples, rounds: outcome, lambda target, rounds: [1.0],
                         RoundPolicy(warmup=0, rounds=1))  # fmt: skip
    curve = record["load_curve"]
    assert record["latency_ms"]["n"] == curve["queries"] == len(trace.response_s)
    assert record["latency_ms"]["p99"] == pytest.approx(np.percentile(trace.response_s, 99) * 1e3)
    assert record["throughput_ips"] == pytest.approx(trace.achieved_qps)  # not 1 / mean response time
    assert curve["utilisation"] == pytest.approx(0.5, rel=0.05) and curve["service_source"] == "run"
    assert curve["stop_rule_pause_ms"] == trace.paused_s * 1e3
    assert set(curve["predicted_p99_ms"]) == {"M/M/1", "M/D/1", "M/G/1"}
    assert curve["response_ms"]["p99"]["value"] == pytest.approx(record["latency_ms"]["p99"])
    assert record["notes"]["batching"] == "no batching" and "latency_ci_ms" in record


def test_batching_rows_add_a_simulation_of_their_policy():
    policy = BatchingPolicy(max_batch=4)
    trace = a_trace(policy, 150.0, lambda size: (5 + 2 * size) * MS)  # batching lets 150 QPS through a 7 ms server
    predicted = model_predictions(150.0, trace, policy, np.full(50, 7 * MS), seed=0)["predicted_p99_ms"]
    assert predicted["M/M/1"] is None  # one at a time, 150 x 7 ms > 1: unstable
    simulated = predicted["M/G/1 + batching (simulated)"]
    assert simulated == pytest.approx(np.percentile(trace.response_s, 99) * 1e3, rel=0.25)


def a_hand_trace(sizes, service_s, gaps_s):
    """Every query waiting from the start; batches of `sizes` served back to back, `gaps_s` (cycled)
    of the loop's own time between them."""
    sizes = np.asarray(sizes)
    gaps = np.resize(np.asarray(gaps_s, dtype=float), len(sizes))
    gaps[0] = 0.0
    batch_starts = np.cumsum(gaps + np.concatenate(([0.0], np.full(len(sizes) - 1, service_s))))
    starts = np.repeat(batch_starts, sizes)
    return ServerTrace(np.zeros(sizes.sum()), starts, starts + service_s, sizes, np.full(len(sizes), service_s), np.empty(0))


def test_the_models_count_the_loops_time_between_batches():
    """1 ms services with 0.1, 0.1, 0.7 ms of the loop's own time between them (mean 0.3, median 0.1):
    at 800 QPS the runner alone would be 80% busy, the runner and the loop 104%."""
    busy = model_predictions(800.0, a_hand_trace(np.ones(100, dtype=int), 1 * MS, [0.1 * MS, 0.1 * MS, 0.7 * MS]),
                             BatchingPolicy(), np.full(50, 1 * MS), seed=0)  # fmt: skip
    assert busy["loop_gap_ms"]["mean"] == pytest.approx(0.3, rel=0.02) and busy["loop_gap_ms"]["n"] == 99
    assert busy["predicted_p99_ms"]["M/G/1"] is None  # unstable, as such a server is
    calm = model_predictions(800.0, a_hand_trace(np.ones(100, dtype=int), 1 * MS, [0.0]), BatchingPolicy(), np.full(50, 1 * MS), seed=0)
    assert calm["predicted_p99_ms"]["M/G/1"] is not None and calm["loop_gap_ms"]["mean"] == pytest.approx(0, abs=1e-9)


def test_a_querys_own_gap_is_left_out_of_its_predicted_response():
    """M/M/1 in closed form: the server costs S + g per query, a response is its wait plus S only."""
    predicted = model_predictions(400.0, a_hand_trace(np.ones(100, dtype=int), 1 * MS, [0.25 * MS]), BatchingPolicy(),
                                  np.full(50, 1 * MS), seed=0)["predicted_p99_ms"]["M/M/1"]  # fmt: skip
    assert predicted == pytest.approx((np.log(100) / (1 / 1.25e-3 - 400.0) - 0.25e-3) * 1e3)


def test_batching_rows_and_back_to_back_samples_count_the_loop_too():
    """Batches of 2 in 1.2 ms with 0.5 ms of loop time between them, at 1,400 QPS: 84% busy without
    the loop, 119% with it. No single batches ran, so the non-batching models take the 0.6 ms
    back-to-back samples, plus the loop's time: 84% without it, 154% with it."""
    policy = BatchingPolicy(max_batch=2)
    pairs = np.full(100, 2)
    with_loop = model_predictions(1400.0, a_hand_trace(pairs, 1.2 * MS, [0.5 * MS]), policy, np.full(50, 0.6 * MS), seed=0)
    without = model_predictions(1400.0, a_hand_trace(pairs, 1.2 * MS, [0.0]), policy, np.full(50, 0.6 * MS), seed=0)
    assert with_loop["service_source"] == "back to back"
    assert with_loop["predicted_p99_ms"]["M/G/1 + batching (simulated)"] is None and with_loop["predicted_p99_ms"]["M/G/1"] is None
    assert without["predicted_p99_ms"]["M/G/1 + batching (simulated)"] is not None and without["predicted_p99_ms"]["M/G/1"] is not None


def test_a_queue_delay_hold_is_not_loop_time_in_the_models():
    policy = BatchingPolicy(max_batch=4, max_queue_delay_s=2 * MS)
    trace = a_trace(policy, 150.0, lambda size: (5 + 2 * size) * MS)  # a virtual clock: the loop costs nothing, holds do happen
    gap = model_predictions(150.0, trace, policy, np.full(50, 7 * MS), seed=0)["loop_gap_ms"]
    assert gap is None or gap["mean"] == pytest.approx(0, abs=1e-9)


def test_a_saturated_batching_simulation_predicts_nothing():
    trace = a_trace(BatchingPolicy(max_batch=2), 50.0, lambda size: 10 * MS * size, seconds=20.0)
    predicted = model_predictions(300.0, trace, BatchingPolicy(max_batch=2), np.full(50, 10 * MS), seed=0)["predicted_p99_ms"]
    assert predicted["M/G/1 + batching (simulated)"] is None  # 300 QPS through a 100-QPS server at any batch size


def test_a_batch_one_policy_simulation_is_the_lindley_queue():
    responses = simulate_policy(30.0, BatchingPolicy(), lambda rng, size: 0.02, 60_000, seed=5)
    assert np.percentile(responses, 99) == pytest.approx(np.percentile(simulate_fifo(30.0, constant_service(0.02)), 99), rel=0.05)


def test_unseen_batch_sizes_borrow_the_nearest_measured_one():
    trace = a_trace(BatchingPolicy(), 10.0, lambda size: 4 * MS, seconds=10.0)  # only size-1 batches, 4 ms
    draw = service_by_size(trace, np.array([1.0]))
    rng = np.random.default_rng(0)
    assert draw(rng, 1) == pytest.approx(4 * MS) and draw(rng, 3) == pytest.approx(12 * MS)


def test_a_peak_is_confirmed_by_full_runs_backing_off_until_one_meets_the_bound():
    runs = []

    def full_run(qps):  # full runs see more of the tail than probes: the bound (50 ms) holds below 70 QPS
        runs.append(qps)
        return 10 / (1 - qps / 87.5), 1000, f"trace at {qps:.4g}"

    confirmed = confirm_peak(full_run, 80.0, bound_ms=50.0)
    assert runs == pytest.approx([80.0, 72.0, 64.8])  # 80 misses (117 ms), 72 misses (56 ms), 64.8 meets (38.5 ms)
    assert confirmed.qps == pytest.approx(64.8) and confirmed.run == "trace at 64.8"
    assert [attempt.passed(50.0) for attempt in confirmed.attempts] == [False, False, True]
    assert len(confirm_peak(full_run, 60.0, 50.0).attempts) == 1  # met at once: no back-off
    exhausted = confirm_peak(full_run, 86.0, 50.0, attempts=2)  # the last run is kept and reported as a miss
    assert len(exhausted.attempts) == 2 and not exhausted.attempts[-1].passed(50.0)
    with pytest.raises(UsageError, match="backoff"):
        confirm_peak(full_run, 80.0, 50.0, backoff=1.0)


def test_peak_search_bisects_to_the_bound():
    def p99_at(qps):  # p99 blows up towards 100 QPS; it crosses 50 ms at 80 QPS
        return 10 / (1 - qps / 100), 100

    search = find_peak(p99_at, bound_ms=50.0, capacity_qps=100.0, probes=8)
    assert search.probes[0].qps == 50.0 and len(search.probes) == 8
    assert 80 - 100 / 2**8 <= search.peak_qps <= 80
    assert find_peak(lambda qps: (1e9, 1), 50.0, 100.0, 3).peak_qps is None
    record = search.as_dict(final_p99_ms=55.0)
    assert record["confirmations"] == []
    assert record["probes"][0] == {"qps": 50.0, "p99_ms": 20.0, "queries": 100, "passed": True}
    assert record["final_met_bound"] is False and search.as_dict(final_p99_ms=50.0)["final_met_bound"] is True
    assert default_bound_ms(np.array([0.010, 0.012, 0.020])) == pytest.approx(120.0)


def test_offline_sweeps_powers_of_two_up_to_the_batch():
    assert sweep_sizes(8, per_batch=False) == [1, 2, 4, 8]
    assert sweep_sizes(6, per_batch=False) == [1, 2, 4, 6]
    assert sweep_sizes(1, per_batch=False) == [1]
    assert sweep_sizes(8, per_batch=True) == [8]
    assert best_batch({1: 100.0, 2: 180.0, 4: 150.0}) == 2
    throughput = batch_sweep(BatchService(FakeRunner(DYNAMIC), FakeWorkload(), 4), [1, 4], 0.01)
    assert set(throughput) == {1, 4} and all(value > 0 for value in throughput.values())


def test_table_notes_flag_a_loose_p99_and_show_the_load():
    record = {
        "kind": "server", "notes": {}, "latency_ms": {"n": 200},
        "latency_ci_ms": {"p99_tight": False, "tolerance": 0.05, "p99": {"low": 11.0, "high": None, "above": 2}},
        "load_curve": {"offered_qps": 45.0, "achieved_qps": 44.0, "utilisation": 0.52, "mean_batch": 1.0,
                       "predicted_p99_ms": {"M/M/1": 101.0, "M/D/1": 48.0, "M/G/1": None}},
    }  # fmt: skip
    text = notes(record)
    assert "p99 LOOSE (95% CI 11.0-unbounded ms from 200 samples, 2 above p99; target ±5%)" in text
    assert "45.0 QPS offered, utilisation 0.52" in text and "M/M/1 101 / M/D/1 48.0" in text and "M/G/1" not in text
    assert "OVERLOADED" not in text  # 44 of 45 QPS served is within 5%
    record["latency_ci_ms"]["p99_tight"] = True
    record["load_curve"]["achieved_qps"] = 42.0
    assert "LOOSE" not in notes(record) and "OVERLOADED (served 42.0 of 45.0 QPS arrived)" in notes(record)
    record["load_curve"]["arrived_qps"] = 43.0  # the draw fell short of 45, the server kept up with it
    assert "OVERLOADED" not in notes(record)
    record["load_curve"]["arrived_qps"] = 44.3  # 42 < 0.95 x 44.3 = 42.085: a backlog
    assert "OVERLOADED (served 42.0 of 44.3 QPS arrived)" in notes(record)


def test_load_curve_table_lists_server_rows_by_offered_load(tmp_path, capsys):
    import json

    from accel.__main__ import main
    from accel.measure.load_table import load_curve_table

    records = []
    for rate in (60.0, 30.0):
        trace = a_trace(BatchingPolicy(), rate, lambda size: 10 * MS, seconds=50.0)
        outcome = server_outcome(trace, rate, BatchingPolicy(), np.full(50, 10 * MS), {"load": f"q{rate:g}"})
        records.append(measure_row(Row(DYNAMIC, "server", "w", lambda: None), lambda samples, rounds, o=outcome: o,
                                   lambda target, rounds: [1.0], RoundPolicy(warmup=0, rounds=1)))  # fmt: skip
    table = load_curve_table([*records, {"model": "x", "kind": "inference"}])
    lines = table.splitlines()
    assert len(lines) == 4 and "| q30 |" in lines[2] and "| q60 |" in lines[3]  # sorted by offered QPS, other rows left out
    path = tmp_path / "out.json"
    path.write_text(json.dumps({"benchmarks": [{"name": "test_server[x]", "extra_info": {**records[0], "config": {}}}]}))
    assert main(["load-curve", str(path)]) == 0 and "| q60 |" in capsys.readouterr().out

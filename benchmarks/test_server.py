"""MLPerf's Server scenario: Poisson arrivals at each `--server-load` (open loop), response time =
queueing + service, with the queueing models' predictions in the row's `load_curve`; and the peak
search, the highest QPS whose p99 stays under a bound. Rows with --batch > 1 batch dynamically up
to that size (`--server-queue-delay-ms`). Run with `--scenarios server`; the loop, the models and
the search live in accel.measure (server, serving, queueing, peak).

Each row is one pedantic round (the whole run); its latency comes from the queries' response times.
"""

from __future__ import annotations

import numpy as np
import pytest

from accel.measure.peak import confirm_peak, default_bound_ms, find_peak
from accel.measure.server import BatchingPolicy, ServerTrace, WallClock
from accel.measure.service import BatchService
from accel.measure.serving import loop_capacity_qps, run_server, server_outcome
from accel.measure.timing import RoundPolicy
from benchmarks.plugin import SERVER_OPTIONS

SCENARIO = "server"
ONE_RUN = RoundPolicy(warmup=0, rounds=1)  # the back-to-back calibration warms the runner up
CALIBRATION_S = 2.0


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "load" in metafunc.fixturenames:
        loads = metafunc.config.stash[SERVER_OPTIONS].loads
        metafunc.parametrize("load", loads, ids=[load.label for load in loads])


@pytest.fixture
def service(combo, runner, store) -> BatchService:
    return BatchService(runner, store.workload(combo.model, combo.input_size), combo.batch)


@pytest.fixture(scope="session")
def calibrations() -> dict:
    return {}


@pytest.fixture
def back_to_back(combo, service, calibrations) -> np.ndarray:
    """Batch-1 service times served back to back, measured once per row's runner and batch."""
    if combo not in calibrations:
        calibrations[combo] = service.back_to_back_s(1, CALIBRATION_S)
    return calibrations[combo]


@pytest.fixture
def capacity_qps(combo, service, back_to_back, calibrations) -> float:
    """The serving loop's batch-1 QPS over a backlog of about CALIBRATION_S, measured once per row's
    runner and batch: every load of that row is a fraction of the same capacity."""
    key = (combo, "loop capacity")
    if key not in calibrations:
        queries = max(10, int(CALIBRATION_S / float(np.median(back_to_back))))
        calibrations[key] = loop_capacity_qps(service.execute, queries, WallClock())
    return calibrations[key]


def test_server(combo, load, runner, footprint, quality, service, back_to_back, capacity_qps, measure, pytestconfig):
    options = pytestconfig.stash[SERVER_OPTIONS]
    policy = BatchingPolicy(combo.batch, options.max_queue_delay_s)
    rate = load.rate(capacity_qps)
    result = {}

    def run() -> None:
        result["trace"] = run_server(rate, policy, service.execute, options.plan, WallClock())

    def outcome(samples_s, rounds):
        notes = {**runner.describe(), "load": load.label}
        return server_outcome(result["trace"], rate, policy, back_to_back, notes, quality.record(),
                              extra_curve={"capacity_qps": capacity_qps}, seed=options.plan.seed)  # fmt: skip

    record = measure(combo, "server", run, outcome, footprint, policy=ONE_RUN)
    assert not record or record["load_curve"]["queries"] == record["latency_ms"]["n"]
    assert not record or record["load_curve"]["offered_qps"] == pytest.approx(load.rate(record["load_curve"]["capacity_qps"]))


def test_server_peak(combo, runner, footprint, quality, service, back_to_back, measure, pytestconfig):
    options = pytestconfig.stash[SERVER_OPTIONS]
    policy = BatchingPolicy(combo.batch, options.max_queue_delay_s)
    full_batches = service.back_to_back_s(combo.batch, CALIBRATION_S) if combo.batch > 1 else back_to_back
    capacity = combo.batch / float(full_batches.mean())
    bound_ms = options.peak_bound_ms or default_bound_ms(back_to_back)
    result = {}

    def p99_at(qps: float) -> tuple[float, int]:
        trace = run_server(qps, policy, service.execute, options.probe_plan(qps), WallClock())
        return float(np.percentile(trace.response_s, 99)) * 1e3, len(trace.response_s)

    def full_run(qps: float) -> tuple[float, int, ServerTrace]:
        trace = run_server(qps, policy, service.execute, options.plan, WallClock())
        return float(np.percentile(trace.response_s, 99)) * 1e3, len(trace.response_s), trace

    def run() -> None:
        search = find_peak(p99_at, bound_ms, capacity, options.peak_probes)
        result["search"] = search
        result["confirmed"] = confirm_peak(full_run, search.peak_qps or min(probe.qps for probe in search.probes), bound_ms)

    def outcome(samples_s, rounds):
        search, confirmed = result["search"], result["confirmed"]
        notes = {**runner.describe(), "load": "peak" if search.peak_qps else f"no probed rate met p99 <= {bound_ms:.3g} ms"}
        final_p99_ms = confirmed.attempts[-1].p99_ms
        return server_outcome(confirmed.run, confirmed.qps, policy, back_to_back, notes, quality.record(),
                              extra_curve={"peak": search.as_dict(final_p99_ms, confirmed.attempts)}, seed=options.plan.seed)  # fmt: skip

    record = measure(combo, "server_peak", run, outcome, footprint, policy=ONE_RUN)
    assert not record or record["load_curve"]["peak"]["probes"]


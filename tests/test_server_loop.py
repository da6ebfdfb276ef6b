import time

import numpy as np
import pytest

from accel.errors import UsageError
from accel.measure.server import BatchingPolicy, VirtualClock, WallClock, poisson_arrivals, serve
from tests.fakes.clocks import TickingClock

MS = 1e-3


def fixed_service(clock, per_batch_s):
    """execute(size) that takes per_batch_s(size) seconds of virtual time, logging the sizes."""
    sizes = []

    def execute(size):
        sizes.append(size)
        clock.advance(per_batch_s(size))

    return execute, sizes


def test_open_loop_response_counts_from_the_scheduled_arrival():
    clock = VirtualClock()
    execute, sizes = fixed_service(clock, lambda size: 10 * MS)
    trace = serve(np.array([0.0, 1, 2]) * MS, BatchingPolicy(), execute, clock)
    assert sizes == [1, 1, 1]
    assert trace.completions_s == pytest.approx(np.array([10, 20, 30]) * MS)
    assert trace.response_s == pytest.approx(np.array([10, 19, 28]) * MS)  # queueing + service
    assert trace.queueing_s == pytest.approx(np.array([0, 9, 18]) * MS)


def test_an_idle_server_waits_for_the_next_arrival():
    clock = VirtualClock()
    execute, _ = fixed_service(clock, lambda size: 2 * MS)
    trace = serve(np.array([5.0, 20.0]) * MS, BatchingPolicy(), execute, clock)
    assert trace.starts_s == pytest.approx(np.array([5, 20]) * MS)
    assert trace.response_s == pytest.approx(np.array([2, 2]) * MS)
    assert trace.utilisation == pytest.approx(4 / 17)  # busy 4 ms from the first arrival (5) to the last completion (22)
    assert trace.achieved_qps == pytest.approx(2 / 17e-3)


def test_greedy_batching_takes_whatever_waits():
    clock = VirtualClock()
    execute, sizes = fixed_service(clock, lambda size: 10 * MS)
    trace = serve(np.array([0.0, 1, 2, 3]) * MS, BatchingPolicy(max_batch=4), execute, clock)
    assert sizes == [1, 3]  # nothing waited at t=0; three had arrived by t=10
    assert trace.completions_s == pytest.approx(np.array([10, 20, 20, 20]) * MS)
    assert list(trace.batch_sizes) == [1, 3] and trace.service_samples_s(3) == pytest.approx([10 * MS])


def test_queue_delay_holds_the_oldest_until_the_batch_fills_or_the_delay_ends():
    clock = VirtualClock()
    execute, sizes = fixed_service(clock, lambda size: 10 * MS)
    fills = serve(np.array([0.0, 1, 2, 3]) * MS, BatchingPolicy(max_batch=4, max_queue_delay_s=5 * MS), execute, clock)
    assert sizes == [4] and fills.starts_s == pytest.approx([3 * MS] * 4)  # full at t=3, before the 5 ms delay
    clock = VirtualClock()
    execute, sizes = fixed_service(clock, lambda size: 10 * MS)
    times_out = serve(np.array([0.0, 20]) * MS, BatchingPolicy(max_batch=4, max_queue_delay_s=5 * MS), execute, clock)
    assert sizes == [1, 1] and times_out.starts_s == pytest.approx(np.array([5, 25]) * MS)  # held exactly the delay


def test_batch_never_exceeds_the_maximum():
    clock = VirtualClock()
    execute, sizes = fixed_service(clock, lambda size: 50 * MS)
    serve(np.arange(10) * MS, BatchingPolicy(max_batch=3), execute, clock)
    assert sizes == [1, 3, 3, 3]


def test_stop_rule_ends_admission_but_serves_what_arrived():
    clock = VirtualClock()
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    seen = []

    def stop(responses, elapsed):
        seen.append((len(responses), elapsed))
        return len(responses) >= 20

    trace = serve(np.arange(1000) * 2 * MS, BatchingPolicy(), execute, clock, stop=stop, check_every=10)
    assert seen == [(10, pytest.approx(18 * MS)), (20, pytest.approx(38 * MS))]  # the 10th and 20th arrivals
    assert len(trace.arrivals_s) == 20 and not np.isnan(trace.completions_s).any()


def test_virtual_server_matches_the_lindley_simulation():
    arrivals = poisson_arrivals(30, 5000, seed=3)
    clock = VirtualClock()
    execute, _ = fixed_service(clock, lambda size: 20 * MS)
    trace = serve(arrivals, BatchingPolicy(), execute, clock)
    gaps = np.diff(arrivals, prepend=0.0)
    # the same arrivals through the closed-form recursion
    walk = np.concatenate(([0.0], np.cumsum(20 * MS - gaps[1:])))
    assert trace.response_s == pytest.approx(walk - np.minimum.accumulate(walk) + 20 * MS)


def test_poisson_arrivals_have_the_asked_rate_and_are_seeded():
    arrivals = poisson_arrivals(200, 50_000, seed=0)
    assert np.all(np.diff(arrivals) > 0) and len(arrivals) / arrivals[-1] == pytest.approx(200, rel=0.02)
    assert np.array_equal(arrivals, poisson_arrivals(200, 50_000, seed=0))
    with pytest.raises(UsageError):
        poisson_arrivals(0, 10, seed=0)


def test_wall_clock_waits_until_the_deadline():
    clock = WallClock()
    clock.wait_until(0.002)
    assert clock.now() >= 0.002


def test_wall_clock_start_sets_its_zero():
    clock = WallClock()
    time.sleep(0.05)
    clock.start()
    assert clock.now() < 0.05


class CostlyArrivals:
    """Arrivals whose conversion takes 50 ms of the clock, as the loop's setup does at high rates."""

    def __init__(self, clock, values):
        self.clock, self.values = clock, np.asarray(values)

    def __array__(self, dtype=None, copy=None):
        self.clock.advance(50 * MS)
        return self.values.astype(dtype or float)


def test_the_loop_setup_is_not_counted_in_the_first_responses():
    """Neither the time between making the clock and serving nor the loop's own setup (milliseconds
    at 100,000 QPS) may make the first queries late."""
    clock = VirtualClock()
    clock.advance(50 * MS)
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    trace = serve(CostlyArrivals(clock, np.array([1.0, 5.0]) * MS), BatchingPolicy(), execute, clock)
    assert trace.response_s == pytest.approx([1 * MS, 1 * MS])


@pytest.mark.parametrize("policy", [{"max_batch": 0}, {"max_queue_delay_s": -1.0}])
def test_bad_policies_refused(policy):
    with pytest.raises(UsageError):
        BatchingPolicy(**policy)


class OversleepingClock(VirtualClock):
    """Wakes 1 ms after every deadline, as a coarse OS timer would."""

    def wait_until(self, t):
        self.t = max(self.t, t + 1 * MS)


def test_the_loop_reports_how_late_it_woke_and_counts_the_delay_in_responses():
    clock = OversleepingClock()
    execute, _ = fixed_service(clock, lambda size: 2 * MS)
    trace = serve(np.array([5.0, 20.0]) * MS, BatchingPolicy(), execute, clock)
    assert trace.wake_late_s == pytest.approx([1 * MS, 1 * MS])
    assert trace.response_s == pytest.approx([3 * MS, 3 * MS])  # the generator's lateness is not hidden
    exact = VirtualClock()
    execute, _ = fixed_service(exact, lambda size: 2 * MS)
    assert serve(np.array([5.0, 20.0]) * MS, BatchingPolicy(), execute, exact).wake_late_s == pytest.approx([0, 0])


class SlowCheck:
    """A stop rule that takes `cost_s` of the clock's time, as sorting tens of thousands of responses
    does, and stops once it has seen `stop_at` responses."""

    def __init__(self, clock, cost_s, stop_at):
        self.clock, self.cost_s, self.stop_at, self.seen = clock, cost_s, stop_at, []

    def __call__(self, responses, elapsed):
        self.seen.append((len(responses), elapsed))
        self.clock.advance(self.cost_s)
        return len(responses) >= self.stop_at


def test_the_stop_rule_pauses_the_arrivals_so_no_query_waits_for_it():
    clock = VirtualClock()
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    check = SlowCheck(clock, 50 * MS, stop_at=30)
    trace = serve(np.arange(1000) * 2 * MS, BatchingPolicy(), execute, clock, stop=check, check_every=10)
    assert [count for count, _ in check.seen] == [10, 20, 30]
    # elapsed is arrival time without the pauses: the 10th, 20th and 30th drawn arrivals
    assert [elapsed for _, elapsed in check.seen] == pytest.approx(np.array([18, 38, 58]) * MS)
    assert trace.response_s == pytest.approx(np.full(30, 1 * MS))  # nobody waited out a check
    assert trace.arrivals_s[[9, 10, 20]] == pytest.approx(np.array([18, 70, 140]) * MS)  # later arrivals moved by each pause
    assert trace.paused_s == pytest.approx(100 * MS)  # the stopping check moved no arrival that was served
    assert trace.span_s == pytest.approx(59 * MS) and trace.offered_qps == pytest.approx(30 / (58 * MS))


def test_queries_waiting_through_a_check_are_served_as_if_it_took_no_time():
    arrivals = np.concatenate([np.arange(12) * 0.1 * MS, [100 * MS]])  # a burst, then one query much later
    clock = VirtualClock()
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    check = SlowCheck(clock, 50 * MS, stop_at=1000)
    trace = serve(arrivals, BatchingPolicy(), execute, clock, stop=check, check_every=10)
    plain_clock = VirtualClock()
    execute, _ = fixed_service(plain_clock, lambda size: 1 * MS)
    plain = serve(arrivals, BatchingPolicy(), execute, plain_clock)
    assert [count for count, _ in check.seen] == [10]  # two queries of the burst were still waiting
    assert trace.response_s == pytest.approx(plain.response_s)
    assert trace.arrivals_s[10:] == pytest.approx(arrivals[10:] + 50 * MS) and trace.paused_s == pytest.approx(50 * MS)
    assert arrivals[10] == pytest.approx(1.0 * MS)  # the caller's schedule is left as drawn
    clock = VirtualClock()
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    stopping = serve(arrivals, BatchingPolicy(), execute, clock, stop=SlowCheck(clock, 50 * MS, stop_at=10), check_every=10)
    assert stopping.response_s == pytest.approx(plain.response_s[:12])  # the two waiting are served, unharmed by the last check


@pytest.mark.parametrize("policy", [BatchingPolicy(), BatchingPolicy(max_batch=4), BatchingPolicy(max_batch=4, max_queue_delay_s=2 * MS)],
                         ids=["no batching", "greedy", "queue delay"])  # fmt: skip
def test_a_costly_stop_rule_changes_nothing_but_when_the_run_ends(policy):
    """Against the same run without a rule: every served query's response and every batch are the
    same, and the run stops where the rule said, with what waited then served."""
    arrivals = poisson_arrivals(900.0, 3000, seed=3)  # 90% of a 1 ms batch-1 server
    per_batch = lambda size: (0.6 + 0.4 * size) * MS  # noqa: E731
    clock = VirtualClock()
    execute, _ = fixed_service(clock, per_batch)
    check = SlowCheck(clock, 7 * MS, stop_at=2000)
    trace = serve(arrivals, policy, execute, clock, stop=check, check_every=50)
    plain_clock = VirtualClock()
    execute, _ = fixed_service(plain_clock, per_batch)
    plain = serve(arrivals, policy, execute, plain_clock)
    served = len(trace.response_s)
    assert check.seen[-1][0] >= 2000 and served >= check.seen[-1][0]
    assert trace.response_s == pytest.approx(plain.response_s[:served])
    assert list(trace.batch_sizes) == list(plain.batch_sizes[: len(trace.batch_sizes)])
    assert [elapsed for _, elapsed in check.seen] == pytest.approx([arrivals[count - 1] for count, _ in check.seen])
    assert trace.span_s == pytest.approx(trace.completions_s.max() - trace.arrivals_s.min() - trace.paused_s)
    assert trace.paused_s == pytest.approx(7 * MS * (len(check.seen) - (served == check.seen[-1][0])))


def test_checks_thin_out_as_the_run_grows():
    clock = VirtualClock()
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    check = SlowCheck(clock, 0.0, stop_at=10**9)
    serve(np.arange(2000) * 2 * MS, BatchingPolicy(), execute, clock, stop=check, check_every=10)
    counts = [count for count, _ in check.seen]
    assert counts[:12] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 121]  # then a tenth of the completions so far
    assert len(counts) < 45  # every 10 would be 200 checks


def test_the_loops_own_time_between_batches_is_measured_where_work_waited():
    clock = TickingClock(0.01 * MS)
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    trace = serve(np.array([0, 0, 0, 0, 0, 100]) * MS, BatchingPolicy(), execute, clock)
    gaps = trace.dispatch_gaps_s(max_batch=1, holds=False)
    assert len(gaps) == 4  # batches 2-5 found their query waiting; the sixth arrived to an idle server
    assert gaps[0] > 0 and gaps == pytest.approx(np.full(4, gaps[0]))
    exact = VirtualClock()
    execute, _ = fixed_service(exact, lambda size: 1 * MS)
    assert serve(np.array([0, 0, 0, 0, 0, 100]) * MS, BatchingPolicy(), execute, exact).dispatch_gaps_s(1, False) == pytest.approx(np.zeros(4))


def test_a_policy_hold_is_not_counted_as_the_loops_time():
    clock = VirtualClock()
    execute, sizes = fixed_service(clock, lambda size: 1 * MS)
    policy = BatchingPolicy(max_batch=2, max_queue_delay_s=5 * MS)
    trace = serve(np.array([0, 0, 0.5, 50]) * MS, policy, execute, clock)
    assert sizes == [2, 1, 1]  # the query of 0.5 ms waited alone from 1 ms until its delay ran out at 5.5 ms
    assert len(trace.dispatch_gaps_s(2, holds=True)) == 0
    assert trace.dispatch_gaps_s(2, holds=False) == pytest.approx([4.5 * MS])  # what counting the hold would give
    clock = VirtualClock()
    execute, sizes = fixed_service(clock, lambda size: 1 * MS)
    fills = serve(np.array([0, 0, 0.5, 2, 50]) * MS, policy, execute, clock)
    assert sizes == [2, 2, 1]  # the second batch is full, but only once its second query came at 2 ms
    assert len(fills.dispatch_gaps_s(2, holds=True)) == 0


def test_a_stop_rule_check_between_batches_is_not_the_loops_time():
    clock = VirtualClock()  # a loop that costs nothing: every gap between batches is 0
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    arrivals = np.array([0, 0, 0, 0, 0, 0, 100]) * MS
    trace = serve(arrivals, BatchingPolicy(), execute, clock, stop=SlowCheck(clock, 0.5 * MS, stop_at=1000), check_every=2)
    assert trace.paused_s == pytest.approx(1.5 * MS)  # checks after 2, 4 and 6 completions
    assert trace.dispatch_gaps_s(1, holds=False) == pytest.approx(np.zeros(5))  # the burst's; the last query found the server idle
    clock = VirtualClock()
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    # the second query comes at 0.9 ms, during the first one's service; a check then moves it to 1.4 ms
    trace = serve(np.array([0, 0.9, 100]) * MS, BatchingPolicy(), execute, clock, stop=SlowCheck(clock, 0.5 * MS, stop_at=1000), check_every=1)
    assert trace.arrivals_s[1] == pytest.approx(1.4 * MS)
    assert trace.dispatch_gaps_s(1, holds=False) == pytest.approx([0.0])  # it had arrived by the first completion: it waited


def test_a_stop_serves_what_arrived_during_the_last_batch():
    clock = VirtualClock()
    execute, _ = fixed_service(clock, lambda size: 1 * MS)
    trace = serve(np.array([0, 0.5, 10]) * MS, BatchingPolicy(), execute, clock, stop=SlowCheck(clock, 0.0, stop_at=1), check_every=1)
    assert len(trace.response_s) == 2  # the query of 0.5 ms had arrived when the rule said stop; the one of 10 ms had not

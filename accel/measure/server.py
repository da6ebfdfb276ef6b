"""MLPerf's Server scenario: Poisson arrivals at a target QPS, open loop, one server, dynamic batching.

Arrival times are drawn before the run from a seeded Poisson process, so no arrival ever waits for
a completion (open loop), and a query's response time is its completion minus its *scheduled*
arrival: queueing plus service. One runner is one server, so queries wait first come, first
served. A single loop that admits every query whose arrival time has passed, forms a batch by the
policy and runs it is exactly that queue; a thread issuing queries would add only contention for
the GIL and the two cores. The same loop runs on a `VirtualClock` (simulations, tests), where
`execute` advances the clock by a drawn service time instead of running a model.

The stop rule (is p99 tight yet?) sorts every response so far: milliseconds once there are tens of
thousands. Run while queries wait, or while they keep arriving, that pause lands in their response
times: a synthetic 0.1 ms service at 85% load read p99 78.1 ms with the rule checked every 100
completions against 1.52 ms without it (docs/results/probes/server_stop_rule.json, the 2-core CPU
machine; 1.88 against 0.613 ms at 60%; within noise for a 0.5 ms service). So time stands still
while the rule runs: every query not yet served, waiting or still to come, moves later by the
rule's duration (the server does nothing meanwhile, so the queue is exactly as it was, and a
Poisson stream has no memory to disturb), and checks are spaced by a tenth of the completions so
far, so their count grows with the log of the run's length.

Dynamic batching (Triton's `max_batch_size` / `max_queue_delay`): when the server is free it takes
up to `max_batch` waiting queries; with fewer waiting it may hold the oldest for up to
`max_queue_delay_s` for more to arrive. Delay 0 is greedy batching: nothing waits for company.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from accel.errors import UsageError
from accel.measure.timing import now_ns

SPIN_S = 0.0005  # sleep until this close to a deadline, then spin: sleeps overshoot by ~0.1 ms


@dataclass(frozen=True)
class BatchingPolicy:
    """How the server forms batches from the queries waiting."""

    max_batch: int = 1
    max_queue_delay_s: float = 0.0

    def __post_init__(self) -> None:
        if self.max_batch < 1 or not self.max_queue_delay_s >= 0:
            raise UsageError(f"batching policy needs max_batch >= 1 and max_queue_delay >= 0; got {self.max_batch}, {self.max_queue_delay_s}")

    def describe(self) -> str:
        if self.max_batch == 1:
            return "no batching"
        return f"dynamic batching: max batch {self.max_batch}, max queue delay {self.max_queue_delay_s * 1e3:g} ms"


def poisson_arrivals(rate_qps: float, count: int, seed: int) -> np.ndarray:
    """`count` arrival times (s from the start) of a Poisson process of rate `rate_qps`."""
    if not rate_qps > 0 or count < 1:
        raise UsageError(f"Poisson arrivals need a rate > 0 and at least one query; got {rate_qps} QPS, {count}")
    return np.cumsum(np.random.default_rng(seed).exponential(1 / rate_qps, count))


class Clock(Protocol):
    def start(self) -> None:
        """Make `now()` read 0 from here: `serve` calls it once its setup is done."""

    def now(self) -> float: ...

    def wait_until(self, t: float) -> None: ...


class WallClock:
    """Seconds since `start` (or construction) on perf_counter_ns, the clock every row uses."""

    def __init__(self) -> None:
        self.start()

    def start(self) -> None:
        self.origin_ns = now_ns()

    def now(self) -> float:
        return (now_ns() - self.origin_ns) * 1e-9

    def wait_until(self, t: float) -> None:
        remaining = t - self.now()
        if remaining > SPIN_S:
            time.sleep(remaining - SPIN_S)
        while self.now() < t:
            pass


class VirtualClock:
    """A clock that moves only when told: waits jump, service advances it."""

    def __init__(self) -> None:
        self.t = 0.0

    def start(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def wait_until(self, t: float) -> None:
        self.t = max(self.t, t)

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass(frozen=True)
class ServerTrace:
    """What happened to each admitted query and each batch, in seconds from the run's start."""

    arrivals_s: np.ndarray
    starts_s: np.ndarray
    completions_s: np.ndarray
    batch_sizes: np.ndarray
    batch_service_s: np.ndarray
    wake_late_s: np.ndarray  # how late the loop woke from each wait: the generator's own error
    # time stood still while the stop rule ran, just before each batch (arrivals_s include it); None: none
    pause_before_batch_s: np.ndarray | None = None

    @property
    def paused_s(self) -> float:
        """All the stop rule's pauses (each fell before some batch: a pause needs a query left to serve)."""
        return float(self.pause_before_batch_s.sum()) if self.pause_before_batch_s is not None else 0.0

    @property
    def response_s(self) -> np.ndarray:
        return self.completions_s - self.arrivals_s

    @property
    def queueing_s(self) -> np.ndarray:
        return self.starts_s - self.arrivals_s

    @property
    def span_s(self) -> float:
        """From the first arrival to the last completion, less the stop rule's pauses."""
        return float(self.completions_s.max() - self.arrivals_s.min()) - self.paused_s

    @property
    def offered_qps(self) -> float:
        """The arrival rate actually drawn: queries over the time they arrived in (pauses excluded:
        every pause precedes the last arrival)."""
        return len(self.arrivals_s) / (float(self.arrivals_s.max()) - self.paused_s) if len(self.arrivals_s) > 1 else float("nan")

    @property
    def achieved_qps(self) -> float:
        return len(self.arrivals_s) / self.span_s

    @property
    def utilisation(self) -> float:
        """The fraction of the run the server spent serving."""
        return float(self.batch_service_s.sum()) / self.span_s

    def dispatch_gaps_s(self, max_batch: int, holds: bool) -> np.ndarray:
        """The loop's own time between batches while work waited: from a batch's completion to the
        next batch's start, where the next batch's first query had arrived by that completion. When
        the policy `holds` queries for company, only full batches whose every query had arrived by
        then count (otherwise the gap holds the policy's wait). No service time contains this time;
        at tens of thousands of QPS it is a real part of the server."""
        ends = np.cumsum(self.batch_sizes)  # one past each batch's last query
        firsts, lasts = ends[:-1], ends[1:] - 1  # the next batch's first and last query
        previous_end = self.completions_s[firsts - 1]
        # a stop-rule check between two batches is no loop time, and it moved the waiting queries' arrivals
        paused = self.pause_before_batch_s[1:] if self.pause_before_batch_s is not None else 0.0
        waited = self.arrivals_s[firsts] - paused <= previous_end
        if holds:
            waited &= (self.batch_sizes[1:] == max_batch) & (self.arrivals_s[lasts] - paused <= previous_end)
        return (self.starts_s[firsts] - previous_end - paused)[waited]

    def service_samples_s(self, size: int) -> np.ndarray:
        """Service times of the batches of this size."""
        return self.batch_service_s[self.batch_sizes == size]


# Called with the response times (s) completed so far and the arrival time of the last of them;
# True stops admitting new queries.
StopRule = Callable[[np.ndarray, float], bool]


def serve(
    arrivals_s: np.ndarray,
    policy: BatchingPolicy,
    execute: Callable[[int], None],
    clock: Clock,
    stop: StopRule | None = None,
    check_every: int = 100,
) -> ServerTrace:
    """Serve queries arriving at `arrivals_s` (ascending, s from the clock's zero, set once the
    loop's own setup is done: at 100,000 QPS that setup takes milliseconds, which would make the
    first queries late), FIFO, one batch at a time; `execute(size)` serves one batch. With a `stop`
    rule, checked between batches after at least `check_every` more completions (or a tenth of those
    so far), the run stops admitting queries once it says so; those already waiting are served. The trace's arrivals are the
    schedule as served: each query's moved later by the checks that ran before it was served."""
    # Python lists, not arrays, inside the loop: indexing a float out of a list costs a fraction of
    # numpy's scalar access, and this loop's own time is part of every batch's cost (loop_gap_ms).
    drawn = np.asarray(arrivals_s, dtype=np.float64).tolist()  # pauses move what is not yet admitted by `offset`
    total = len(drawn)
    nan = float("nan")
    arrivals = [nan] * total  # as served: drawn, plus the pauses that fell before each was served
    starts = [nan] * total
    completions = [nan] * total
    sizes: list[int] = []
    services: list[float] = []
    late: list[float] = []
    waiting: deque[int] = deque()
    admitted = done = 0
    offset = pending_pause = 0.0  # offset: all pauses so far, by which queries not yet admitted move
    pauses_before: list[float] = []
    next_check = check_every
    responses = np.empty(total)  # of the served queries, filled at each check from where the last one ended
    checked = 0
    clock.start()
    while done < admitted or admitted < total:
        now = clock.now()
        while admitted < total and drawn[admitted] + offset <= now:
            arrivals[admitted] = drawn[admitted] + offset
            waiting.append(admitted)
            admitted += 1
        if not waiting:
            late.append(_wait(clock, drawn[admitted] + offset))
            continue
        if len(waiting) < policy.max_batch and policy.max_queue_delay_s > 0:
            deadline = arrivals[waiting[0]] + policy.max_queue_delay_s
            if now < deadline:
                late.append(_wait(clock, min(deadline, drawn[admitted] + offset) if admitted < total else deadline))
                continue
        size = min(policy.max_batch, len(waiting))
        pauses_before.append(pending_pause)
        pending_pause = 0.0
        start = clock.now()
        execute(size)
        end = clock.now()
        for _ in range(size):
            query = waiting.popleft()
            starts[query] = start
            completions[query] = end
        sizes.append(size)
        services.append(end - start)
        done += size
        if stop is not None and done >= next_check and admitted < total:
            next_check = done + max(check_every, done // 10)
            began = clock.now()
            responses[checked:done] = np.subtract(completions[checked:done], arrivals[checked:done])
            checked = done
            if stop(responses[:done], drawn[done - 1]):
                total = bisect_right(drawn, began - offset, lo=admitted)  # what arrived during the batch is still served
            if done < total:  # someone is still to be served: for them, time stood still
                pause = clock.now() - began
                for query in waiting:  # admitted; those not yet admitted move by `offset`
                    arrivals[query] += pause
                offset += pause
                pending_pause += pause
    return ServerTrace(np.array(arrivals[:total]), np.array(starts[:total]), np.array(completions[:total]), np.array(sizes),
                       np.array(services), np.array(late), np.array(pauses_before))  # fmt: skip


def _wait(clock: Clock, t: float) -> float:
    """Wait until `t`; how late the clock woke (0 on a virtual clock)."""
    clock.wait_until(t)
    return clock.now() - t

"""Server rows: a runner under Poisson load, its load curve, and the queueing models beside it.

A row's load is a fraction of the server's measured capacity (`u50`: half the batch-1 QPS of the
serving loop fed a backlog just before the run, `loop_capacity_qps`) or an absolute rate (`q45`: 45
QPS). The runner's back-to-back service alone would leave out the loop's own work between queries,
which at 100,000 QPS is about a seventh of the server, so "85%" was past saturation there. The run
lasts until p99's 95% interval is within tolerance (after `min_queries`) or the time cap ends
the arrivals. Response times within one run are correlated (a slow query delays the ones behind
it), so the order-statistic interval, which assumes independent samples, is optimistic there.

The service time that feeds the models is the one measured during the run, under the arrival
pattern, not the back-to-back one: with idle gaps between queries a server can serve each one
more slowly (caches and clocks cool down), as eager torch on a GPU does (docs/results/load). The
server is the loop, not only the runner: the loop's own mean time between batches while work
waited (`loop_gap_ms`) is added to every service sample, so a row whose rate the Python loop
cannot keep up with is predicted unstable instead of calm.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from accel.errors import UsageError
from accel.measure.intervals import fewest_bounding_samples, percentile_interval
from accel.measure.queueing import predictions
from accel.measure.record import Timing
from accel.measure.row import Outcome
from accel.measure.server import BatchingPolicy, Clock, ServerTrace, StopRule, VirtualClock, poisson_arrivals, serve
from accel.measure.stats import Stats

P99 = 0.99
POLICY_CUSTOMERS = 60_000  # a simulated batching server, in a Python loop: about a second
SATURATED = 0.99  # a simulated server busy this much of the time is not in a steady state

# Draws the service time (s) of one batch of `size` queries.
BatchSampler = Callable[[np.random.Generator, int], float]


@dataclass(frozen=True)
class ServerLoad:
    """The offered load of a Server row: `utilisation` of the capacity, or an absolute `qps`."""

    utilisation: float | None = None
    qps: float | None = None

    def __post_init__(self) -> None:
        if (self.utilisation is None) == (self.qps is None):
            raise UsageError("a server load is a utilisation or a QPS, not both")
        if not (self.utilisation or self.qps or 0) > 0:
            raise UsageError(f"a server load must be > 0; got {self.utilisation or self.qps}")

    @property
    def label(self) -> str:
        return f"u{self.utilisation * 100:g}" if self.utilisation is not None else f"q{self.qps:g}"

    def rate(self, capacity_qps: float) -> float:
        return self.utilisation * capacity_qps if self.utilisation is not None else self.qps


def parse_loads(utilisations: str | None, qps: str | None) -> tuple[ServerLoad, ...]:
    """`--server-load 0.3,0.6` and `--server-qps 45,72` as loads; a UsageError for anything else."""
    loads = []
    for option, text, field in (("--server-load", utilisations, "utilisation"), ("--server-qps", qps, "qps")):
        for part in (p.strip() for p in (text or "").split(",") if p.strip()):
            try:
                value = float(part)
            except ValueError:
                raise UsageError(f"`{option}` takes comma-separated numbers; got {part!r}") from None
            loads.append(ServerLoad(**{field: value}))
    return tuple(dict.fromkeys(loads))


@dataclass(frozen=True)
class ServerPlan:
    """How long a Server run lasts: until p99 is tight after `min_queries` and `min_duration_s` of
    arrivals (with `until_tight`; MLPerf also asks for both), or `time_cap_s`."""

    time_cap_s: float = 20.0
    min_queries: int = 1000
    min_duration_s: float = 5.0
    p99_tolerance: float = 0.05
    seed: int = 0
    until_tight: bool = True

    def __post_init__(self) -> None:
        if not self.time_cap_s > 0 or self.min_queries < 1:
            raise UsageError(f"a server run needs a time cap > 0 s and min queries >= 1; got {self.time_cap_s}, {self.min_queries}")

    def stop_rule(self) -> StopRule:
        def tight(responses_s: np.ndarray, elapsed_s: float) -> bool:
            if len(responses_s) < self.min_queries or elapsed_s < self.min_duration_s:
                return False
            ordered = np.sort(responses_s)
            return percentile_interval(ordered, P99, float(np.percentile(ordered, 99))).is_tight(self.p99_tolerance)

        return tight

    def arrivals(self, rate_qps: float) -> np.ndarray:
        """Poisson arrivals at `rate_qps` for the whole time cap."""
        return poisson_arrivals(rate_qps, max(1, int(rate_qps * self.time_cap_s)), self.seed)


def loop_capacity_qps(execute: Callable[[int], None], queries: int, clock: Clock) -> float:
    """Batch-1 queries per second of the serving loop itself: `queries` all waiting at the start,
    served one at a time, the loop's bookkeeping between them included (a slight upper bound: a
    backlog never leaves the loop idle, as queries arriving one by one do)."""
    if queries < 1:
        raise UsageError(f"the loop's capacity needs at least one query; got {queries}")
    return serve(np.zeros(queries), BatchingPolicy(), execute, clock).achieved_qps


def run_server(rate_qps: float, policy: BatchingPolicy, execute: Callable[[int], None], plan: ServerPlan, clock: Clock) -> ServerTrace:
    """One Server run at `rate_qps` on `clock`, stopped by the plan."""
    return serve(plan.arrivals(rate_qps), policy, execute, clock, stop=plan.stop_rule() if plan.until_tight else None)


def service_by_size(trace: ServerTrace, fallback_s: np.ndarray) -> BatchSampler:
    """Draws batch service times for a batching simulation: a size's own measured times, else the
    nearest measured size's scaled by the size ratio, else the back-to-back batch-1 times x size."""
    measured = {int(size): trace.service_samples_s(int(size)) for size in np.unique(trace.batch_sizes)}

    def draw(rng: np.random.Generator, size: int) -> float:
        if size in measured:
            return float(rng.choice(measured[size]))
        if measured:
            nearest = min(measured, key=lambda known: abs(known - size))
            return float(rng.choice(measured[nearest])) * size / nearest
        return float(rng.choice(fallback_s)) * size

    return draw


def simulate_policy(rate_qps: float, policy: BatchingPolicy, sampler: BatchSampler, customers: int, seed: int) -> np.ndarray | None:
    """Response times (s) of the batching server on a virtual clock, service drawn per batch size;
    None when the simulated server saturates (its queue, and so its p99, grows with the run)."""
    rng = np.random.default_rng(seed)
    clock = VirtualClock()
    trace = serve(poisson_arrivals(rate_qps, customers, seed), policy,
                  lambda size: clock.advance(sampler(rng, size)), clock)  # fmt: skip
    return trace.response_s[customers // 10 :] if trace.utilisation < SATURATED else None


def loop_gaps_s(trace: ServerTrace, policy: BatchingPolicy) -> np.ndarray:
    """The serving loop's own time between batches while work waited (`ServerTrace.dispatch_gaps_s`)."""
    return trace.dispatch_gaps_s(policy.max_batch, holds=policy.max_queue_delay_s > 0)


def model_predictions(rate_qps: float, trace: ServerTrace, policy: BatchingPolicy, back_to_back_s: np.ndarray, seed: int) -> dict[str, object]:
    """Each model's p99 (ms) beside the measured one. M/M/1, M/D/1, M/G/1 take the batch-1 service
    times measured in the run (back to back where the run formed too few single batches), each plus
    the loop's mean gap between batches, and describe a server that does not batch; batching rows
    add a simulation of their own policy. A query's own gap comes after its completion, so each
    predicted response leaves one gap out again."""
    single = trace.service_samples_s(1)
    gaps = loop_gaps_s(trace, policy)
    gap = float(gaps.mean()) if len(gaps) else 0.0
    samples = (single if len(single) >= 20 else back_to_back_s) + gap
    try:
        models = {p.model: p for p in predictions(rate_qps, samples, seed=seed)}
        p99 = {name: prediction.p99_ms for name, prediction in models.items()}
        mean = {name: prediction.mean_ms for name, prediction in models.items()}
    except UsageError:  # without batching this rate would overload the server
        p99, mean = dict.fromkeys(("M/M/1", "M/D/1", "M/G/1")), dict.fromkeys(("M/M/1", "M/D/1", "M/G/1"))
    if policy.max_batch > 1:
        by_size = service_by_size(trace, back_to_back_s)
        simulated = simulate_policy(rate_qps, policy, lambda rng, size: by_size(rng, size) + gap, POLICY_CUSTOMERS, seed)
        p99["M/G/1 + batching (simulated)"] = float(np.percentile(simulated, 99)) * 1e3 if simulated is not None else None
        mean["M/G/1 + batching (simulated)"] = float(simulated.mean()) * 1e3 if simulated is not None else None
    p99, mean = ({name: None if ms is None else ms - gap * 1e3 for name, ms in values.items()} for values in (p99, mean))
    return {"predicted_p99_ms": p99, "predicted_mean_ms": mean, "service_source": "run" if len(single) >= 20 else "back to back",
            "loop_gap_ms": {**_quantiles_ms(gaps), "mean": gap * 1e3, "n": len(gaps)} if len(gaps) else None}  # fmt: skip


def _quantiles_ms(values_s: np.ndarray) -> dict[str, float]:
    return {name: float(np.percentile(values_s, q)) * 1e3 for name, q in (("p50", 50), ("p90", 90), ("p99", 99))}


def server_outcome(
    trace: ServerTrace,
    rate_qps: float,
    policy: BatchingPolicy,
    back_to_back_s: np.ndarray,
    notes: Mapping[str, object],
    extra: Mapping[str, object] | None = None,
    extra_curve: Mapping[str, object] | None = None,
    seed: int = 0,
) -> Outcome:
    """The row: latency = response times; throughput = achieved QPS; the load curve beside the
    row's other sections (`extra`: drift, accuracy)."""
    stats = Stats(trace.response_s)
    intervals = stats.intervals()
    curve = {
        "scenario": "server",
        "policy": {"max_batch": policy.max_batch, "max_queue_delay_ms": policy.max_queue_delay_s * 1e3},
        "offered_qps": rate_qps,
        "arrived_qps": trace.offered_qps,  # the rate the Poisson draw actually produced
        "achieved_qps": trace.achieved_qps,
        "utilisation": trace.utilisation,
        "queries": len(trace.response_s),
        "duration_s": trace.span_s,
        "mean_batch": float(trace.batch_sizes.mean()),
        "response_ms": {name: {"value": intervals[name].estimate, "low": intervals[name].low, "high": intervals[name].high}
                        for name in ("p50", "p90", "p99")},
        "service_ms": _quantiles_ms(trace.batch_service_s),
        "back_to_back_service_ms": _quantiles_ms(back_to_back_s),
        "queueing_ms": _quantiles_ms(trace.queueing_s),
        "wake_late_ms": _quantiles_ms(trace.wake_late_s) if len(trace.wake_late_s) else None,
        "stop_rule_pause_ms": trace.paused_s * 1e3,  # time stood still for unserved queries while the stop rule ran (accel.measure.server)
        **model_predictions(rate_qps, trace, policy, back_to_back_s, seed),
        **(extra_curve or {}),
    }  # fmt: skip
    timing = Timing(stats.as_dict(), trace.achieved_qps, intervals)
    return Outcome(timing, {**notes, "batching": policy.describe()}, {**(extra or {}), "load_curve": curve})


SCENARIOS = ("server", "offline")  # beyond SingleStream (the inference and end-to-end rows), opt-in
DEFAULT_LOADS = (ServerLoad(0.3), ServerLoad(0.6), ServerLoad(0.85))


@dataclass(frozen=True)
class ServerOptions:
    """Everything the Server and peak rows take from the command line, validated."""

    loads: tuple[ServerLoad, ...] = DEFAULT_LOADS
    max_queue_delay_s: float = 0.0
    plan: ServerPlan = ServerPlan()
    peak_bound_ms: float | None = None  # None: ten times the back-to-back median service time
    peak_probes: int = 5
    peak_probe_s: float = 3.0

    def __post_init__(self) -> None:
        if not self.loads:
            raise UsageError("Server rows need at least one load (--server-load or --server-qps)")
        if not self.max_queue_delay_s >= 0:
            raise UsageError(f"`--server-queue-delay-ms` must be >= 0; got {self.max_queue_delay_s * 1e3}")
        if self.peak_bound_ms is not None and not self.peak_bound_ms > 0:
            raise UsageError(f"`--peak-p99-ms` must be > 0; got {self.peak_bound_ms}")
        if self.peak_probes < 1 or not self.peak_probe_s > 0:
            raise UsageError(f"peak search needs >= 1 probe of > 0 s; got {self.peak_probes} of {self.peak_probe_s} s")

    def probe_plan(self, rate_qps: float) -> ServerPlan:
        """A peak probe: `peak_probe_s`, or longer where that is too few queries to bound p99 at all
        (368); it runs its whole length, since a few hundred queries cannot make p99 tight."""
        seconds = max(self.peak_probe_s, fewest_bounding_samples(P99) / rate_qps)
        return replace(self.plan, time_cap_s=seconds, until_tight=False)

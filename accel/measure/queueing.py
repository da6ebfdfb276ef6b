"""Single-server FIFO queueing models: why p99 grows with load (pure maths, no pytest).

Poisson arrivals at rate lambda, one server, service times S with mean E[S] (rate mu = 1/E[S]),
utilisation rho = lambda E[S] < 1. Response time = waiting in the queue + service.

- M/M/1 (exponential service): the response time is exponential with rate mu - lambda, so its mean
  is 1/(mu - lambda) and its q-quantile -ln(1 - q)/(mu - lambda); p99 = ln(100) x mean.
- M/G/1 (any service distribution): Pollaczek-Khinchine gives the mean,
  E[T] = E[S] + lambda E[S^2] / (2 (1 - rho)); M/D/1 is the case S = E[S] exactly.
- Tails of M/D/1 and M/G/1 come from a discrete-event simulation (`simulate_fifo`): the Lindley
  recursion W(n+1) = max(0, W(n) + S(n) - A(n+1)) solved in closed form as a random walk minus its
  running minimum, so a million customers take milliseconds.

Inference service times are nearly constant, which is why M/M/1 over-predicts their p99.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from accel.errors import UsageError

DEFAULT_CUSTOMERS = 400_000
DEFAULT_SEED = 0

# Draws `count` service times in seconds from a seeded generator.
ServiceSampler = Callable[[np.random.Generator, int], np.ndarray]


def check_stable(arrival_rps: float, mean_service_s: float) -> float:
    """The utilisation lambda x E[S]; a UsageError when the queue would grow without bound."""
    if not arrival_rps > 0 or not mean_service_s > 0:
        raise UsageError(f"arrival rate and mean service time must be > 0; got {arrival_rps} rps, {mean_service_s * 1e3} ms")
    rho = arrival_rps * mean_service_s
    if rho >= 1:
        raise UsageError(
            f"utilisation {rho:.3f} >= 1 ({arrival_rps:g} rps x {mean_service_s * 1e3:g} ms): the queue grows without bound; "
            f"arrivals must stay below {1 / mean_service_s:.4g} rps"
        )
    return rho


def mm1_mean_s(arrival_rps: float, mean_service_s: float) -> float:
    """M/M/1 mean response time 1/(mu - lambda)."""
    check_stable(arrival_rps, mean_service_s)
    return 1 / (1 / mean_service_s - arrival_rps)


def mm1_quantile_s(arrival_rps: float, mean_service_s: float, q: float) -> float:
    """M/M/1 q-quantile of the response time (0 < q < 1): -ln(1 - q) / (mu - lambda)."""
    if not 0 < q < 1:
        raise ValueError(f"quantile must be in (0, 1); got {q}")
    return -math.log1p(-q) * mm1_mean_s(arrival_rps, mean_service_s)


def pk_mean_s(arrival_rps: float, mean_service_s: float, service_second_moment_s2: float) -> float:
    """M/G/1 mean response time (Pollaczek-Khinchine): E[S] + lambda E[S^2] / (2 (1 - rho))."""
    rho = check_stable(arrival_rps, mean_service_s)
    return mean_service_s + arrival_rps * service_second_moment_s2 / (2 * (1 - rho))


def exponential_service(mean_s: float) -> ServiceSampler:
    return lambda rng, count: rng.exponential(mean_s, count)


def constant_service(mean_s: float) -> ServiceSampler:
    return lambda rng, count: np.full(count, mean_s)


def measured_service(samples_s: Sequence[float]) -> ServiceSampler:
    """Resampled (with replacement) from measured service times: M/G/1 with the real distribution."""
    pool = np.asarray(samples_s, dtype=np.float64)
    if pool.size == 0:
        raise UsageError("measured service times: no samples")
    return lambda rng, count: rng.choice(pool, count)


def simulate_fifo(
    arrival_rps: float,
    service: ServiceSampler,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    """Response times (s) of `customers` Poisson arrivals served first come, first served by one
    server, the queue starting empty (the first tenth is dropped as warm-up)."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / arrival_rps, customers)
    service_s = service(rng, customers)
    # Lindley: W(n) = X(n) - min(X(0..n)), X(0) = 0, X(n) = sum over k < n of S(k) - A(k+1).
    walk = np.concatenate(([0.0], np.cumsum(service_s[:-1] - gaps[1:])))
    waits = walk - np.minimum.accumulate(walk)
    return (waits + service_s)[customers // 10 :]


@dataclass(frozen=True)
class Prediction:
    """One model's mean and p99 of the response time, in ms."""

    model: str
    mean_ms: float
    p99_ms: float
    source: str  # "closed form" or "simulated (N customers)"

    def as_dict(self) -> dict[str, object]:
        return {"model": self.model, "mean_ms": self.mean_ms, "p99_ms": self.p99_ms, "source": self.source}


def predictions(
    arrival_rps: float,
    service_samples_s: Sequence[float],
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
) -> list[Prediction]:
    """M/M/1, M/D/1 and M/G/1 predictions for a server whose service times are these samples."""
    samples = np.asarray(service_samples_s, dtype=np.float64)
    mean_s = float(samples.mean())
    check_stable(arrival_rps, mean_s)
    simulated = f"simulated ({customers - customers // 10} customers)"
    deterministic = simulate_fifo(arrival_rps, constant_service(mean_s), customers, seed)
    general = simulate_fifo(arrival_rps, measured_service(samples), customers, seed)
    return [
        Prediction("M/M/1", mm1_mean_s(arrival_rps, mean_s) * 1e3, mm1_quantile_s(arrival_rps, mean_s, 0.99) * 1e3, "closed form"),
        Prediction("M/D/1", pk_mean_s(arrival_rps, mean_s, mean_s**2) * 1e3, float(np.percentile(deterministic, 99)) * 1e3, simulated),
        Prediction("M/G/1", pk_mean_s(arrival_rps, mean_s, float(np.mean(samples**2))) * 1e3,
                   float(np.percentile(general, 99)) * 1e3, simulated),
    ]  # fmt: skip

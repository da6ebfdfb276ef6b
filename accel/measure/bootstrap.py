"""Percentile-bootstrap interval of the ratio of a percentile between two sets of samples (pure maths).

Resampling n samples with replacement and taking a percentile costs O(n) per resample, i.e.
40 million draws for 2,000 resamples of a 20,000-round row. It need not: a resample is n draws
x(ceil(U n)) through the empirical quantile function with U ~ Uniform(0, 1), and that function is
monotone, so the resample's k-th smallest value is x(ceil(U(k) n)) with U(k) the k-th smallest of n
uniforms. U(k) ~ Beta(k, n - k + 1), and given U(k) = u the next one is u + (1 - u)(1 - V^(1/(n-k)))
(the least of the n - k uniforms above u). numpy's linear-interpolation percentile of a resample
needs exactly those two order statistics, so each bootstrap replicate costs O(1) and has exactly
the distribution brute-force resampling gives (`tests/test_compare.py` checks that it does).

Resampling rounds sees only the noise within one run, but on a shared machine whole runs land faster
or slower, by far more than a regression threshold. So the gate takes several runs per side and
bootstraps on two levels (Kalibera & Jones, "Rigorous benchmarking in reasonable time", ISMM 2013):
each replicate draws runs with replacement, then one within-run replicate of each drawn run's
percentile, and averages them. Between-run spread widens the interval; with one run per side it is
exactly the single-level interval (and draws the same random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
SEED = 0
CONFIDENCE = 0.95


def resampled_percentiles(samples: np.ndarray, q: float, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """`resamples` bootstrap replicates of numpy's (linear) q-th percentile, 0 <= q <= 100."""
    ordered = np.sort(np.asarray(samples, dtype=np.float64))
    n = len(ordered)
    position = (n - 1) * q / 100  # numpy's linear method: between 0-based ranks floor and floor + 1
    rank = math.floor(position)
    fraction = position - rank
    lower_u = rng.beta(rank + 1, n - rank, size=resamples)
    lower = ordered[_rank_of(lower_u, n)]
    if fraction == 0:
        return lower
    upper_u = lower_u + (1 - lower_u) * (1 - rng.random(resamples) ** (1 / (n - rank - 1)))
    return lower + fraction * (ordered[_rank_of(upper_u, n)] - lower)


def _rank_of(uniforms: np.ndarray, n: int) -> np.ndarray:
    """0-based index of the sample the empirical quantile function gives for each uniform."""
    return np.clip(np.ceil(uniforms * n).astype(np.int64) - 1, 0, n - 1)


@dataclass(frozen=True)
class RatioInterval:
    """candidate / baseline of one percentile, and its percentile-bootstrap interval."""

    ratio: float
    low: float
    high: float


def runs_percentile_ratio(baseline: Sequence[np.ndarray], candidate: Sequence[np.ndarray], q: float, resamples: int = RESAMPLES,
                          seed: int = SEED, confidence: float = CONFIDENCE) -> RatioInterval:  # fmt: skip
    """Ratio of the mean of the runs' q-th percentiles, candidate runs over baseline runs, and the central
    `confidence` of its two-level bootstrap replicates (module docstring). A fixed seed makes a verdict
    repeatable: the same files always give the same interval."""
    if not baseline or not candidate or any(len(run) == 0 for run in (*baseline, *candidate)):
        raise ValueError("runs_percentile_ratio needs at least one run with samples on each side")
    rng = np.random.default_rng(seed)
    # Candidate first, then baseline: the order the single-run interval always drew in, so one run a side reproduces it.
    within = [_within_run_replicates(runs, q, resamples, rng) for runs in (candidate, baseline)]
    candidate_means, baseline_means = (_resampled_run_means(replicates, rng) for replicates in within)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(candidate_means / baseline_means, [tail, 100 - tail])
    ratio = float(np.mean([np.percentile(run, q) for run in candidate]) / np.mean([np.percentile(run, q) for run in baseline]))
    return RatioInterval(ratio, float(low), float(high))


def _within_run_replicates(runs: Sequence[np.ndarray], q: float, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """[run, replicate, slot]: an independent replicate of the run's percentile for each of the len(runs) draws of
    each replicate, so a run drawn twice into one replicate is resampled twice."""
    return np.stack([resampled_percentiles(run, q, resamples * len(runs), rng).reshape(resamples, len(runs)) for run in runs])


def _resampled_run_means(replicates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per replicate: draw len(runs) runs with replacement and average their within-run replicates."""
    runs, resamples, slots = replicates.shape
    drawn = rng.integers(0, runs, size=(resamples, slots))
    return replicates[drawn, np.arange(resamples)[:, None], np.arange(slots)[None, :]].mean(axis=1)

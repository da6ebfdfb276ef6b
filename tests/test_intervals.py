import math

import numpy as np
import pytest

from accel.measure.intervals import (
    PercentileInterval,
    binomial_cdf,
    fewest_bounding_samples,
    interval_section,
    order_statistic_ranks,
    percentile_interval,
    rounds_for_tolerance,
)


def exact_cdf(n, q):
    return [sum(math.comb(n, i) * q**i * (1 - q) ** (n - i) for i in range(k + 1)) for k in range(n + 1)]


@pytest.mark.parametrize(("n", "q"), [(1, 0.5), (7, 0.3), (40, 0.99), (100, 0.5)])
def test_binomial_cdf_matches_the_exact_sum(n, q):
    assert binomial_cdf(n, q) == pytest.approx(exact_cdf(n, q), abs=1e-12)


def test_median_of_100_is_bracketed_by_the_40th_and_61st_samples():
    # The textbook answer (e.g. Conover, Practical Nonparametric Statistics): coverage 0.9648.
    assert order_statistic_ranks(100, 0.5) == (40, 61)


@pytest.mark.parametrize(("n", "q"), [(100, 0.5), (500, 0.99), (2000, 0.99), (5000, 0.9)])
def test_ranks_cover_at_least_95_percent_and_are_the_narrowest_equal_tailed_pair(n, q):
    low, high = order_statistic_ranks(n, q)
    cdf = exact_cdf(n, q) if n <= 500 else binomial_cdf(n, q)
    # P(x(l) > quantile) = P(K < l) = cdf[l - 1]; P(x(u) < quantile) = P(K >= u) = 1 - cdf[u - 1].
    assert cdf[low - 1] <= 0.025 < cdf[low]  # one rank higher would exceed the tail
    assert 1 - cdf[high - 1] <= 0.025 < 1 - cdf[high - 2]  # one rank lower would too
    assert cdf[high - 1] - cdf[low - 1] >= 0.95


def test_the_p99_has_an_upper_bound_from_368_samples_on():
    assert order_statistic_ranks(367, 0.99)[1] is None
    assert order_statistic_ranks(368, 0.99) == (360, 368)
    assert fewest_bounding_samples(0.99) == 368
    assert fewest_bounding_samples(0.999) == 3688
    assert fewest_bounding_samples(0.5) == 6 and order_statistic_ranks(5, 0.5) == (None, None)


def test_interval_of_a_hand_made_sample():
    samples = np.arange(1.0, 101.0)  # 1..100
    interval = percentile_interval(samples, 0.5, float(np.percentile(samples, 50)))
    assert interval == PercentileInterval(estimate=50.5, low=40.0, high=61.0, above=50)


def test_samples_above_count_only_strictly_greater_ones():
    samples = np.array([1.0, 2.0, 2.0, 2.0, 3.0])
    assert percentile_interval(samples, 0.5, 2.0).above == 1


def test_the_intervals_cover_the_true_p99_of_skewed_data():
    rng = np.random.default_rng(0)
    true_p99 = -math.log(0.01)  # exponential, mean 1
    covered = 0
    for _ in range(1000):
        samples = np.sort(rng.exponential(1.0, 600))
        interval = percentile_interval(samples, 0.99, float(np.percentile(samples, 99)))
        covered += interval.low <= true_p99 <= interval.high
    assert covered >= 940  # at least 95% in theory; 1000 trials leave a little Monte Carlo noise


def test_tightness_uses_the_wider_side_and_includes_the_tolerance_itself():
    assert PercentileInterval(100.0, 95.0, 105.0, 1).is_tight(0.05)
    assert not PercentileInterval(100.0, 99.0, 105.5, 1).is_tight(0.05)  # the upper side decides
    assert not PercentileInterval(100.0, 94.5, 101.0, 1).is_tight(0.05)  # and so can the lower
    assert PercentileInterval(100.0, 99.0, 105.5, 1).relative_half_width() == pytest.approx(0.055)
    unbounded = PercentileInterval(100.0, 99.0, None, 0)
    assert unbounded.relative_half_width() is None and not unbounded.is_tight(0.5)


def test_interval_section_flags_a_loose_p99():
    tight = PercentileInterval(10.0, 9.9, 10.1, 3)
    loose = PercentileInterval(12.0, 11.0, None, 0)
    section = interval_section({"p50": tight, "p90": tight, "p99": loose, "p999": loose}, 0.05)
    assert section["p99_tight"] is False and section["p99_half_width"] is None
    assert section["p99"] == {"low": 11.0, "high": None, "above": 0} and section["confidence"] == 0.95
    assert interval_section({"p50": tight, "p90": tight, "p99": tight, "p999": loose}, 0.05)["p99_tight"] is True


def test_rounds_for_tolerance_from_a_pilot():
    rng = np.random.default_rng(1)
    narrow = rng.uniform(10.0, 10.1, 2000)  # any bounded p99 is within 1%
    assert rounds_for_tolerance(narrow, 0.99, 0.05, most=20_000) == 368
    assert rounds_for_tolerance(narrow, 0.99, 0.05, most=300) is None  # too few to bound it at all
    heavy = rng.pareto(1.5, 2000) + 1.0  # a tail so heavy no affordable count is tight
    assert rounds_for_tolerance(heavy, 0.99, 0.05, most=20_000) is None
    moderate = rng.normal(10.0, 1.0, 5000)
    needed = rounds_for_tolerance(moderate, 0.99, 0.05, most=20_000)
    assert needed is not None and 368 < needed < 20_000
    # a tighter target needs more rounds, a looser one fewer
    assert rounds_for_tolerance(moderate, 0.99, 0.08, most=20_000) < needed < rounds_for_tolerance(moderate, 0.99, 0.03, most=20_000)

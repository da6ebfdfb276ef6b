import numpy as np
import pytest

from accel.measure.stats import LATENCY_FIELDS, PERCENTILES, Stats


def test_hand_computed_values():
    stats = Stats([0.001, 0.002, 0.003, 0.010])  # seconds -> 1, 2, 3, 10 ms: median 2.5 != mean 4
    assert stats.p50 == pytest.approx(2.5)
    assert stats.min == 1.0 and stats.max == 10.0
    assert stats.mean == pytest.approx(4.0)
    assert stats.stdev == pytest.approx(np.sqrt(50 / 3))  # sample stdev: sum sq dev 9+4+1+36, n-1 = 3
    assert stats.p90 == pytest.approx(7.9)  # rank 0.9 * 3 = 2.7 -> 3 + 0.7 * (10 - 3)
    assert stats.n == 4
    assert stats.throughput(8) == pytest.approx(8 / 0.004)  # batch / mean round time, not the median


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_percentiles_match_numpy(seed):
    samples = np.random.default_rng(seed).lognormal(size=1001) * 1e-3
    stats = Stats(samples)
    for q, value in ((50, stats.p50), (90, stats.p90), (99, stats.p99), (99.9, stats.p999)):
        assert value == pytest.approx(np.percentile(samples * 1e3, q))


def test_median_matches_pytest_benchmark():
    from pytest_benchmark.stats import Stats as BenchStats

    samples = list(np.random.default_rng(3).random(200) * 1e-3)
    theirs = BenchStats()
    for sample in samples:
        theirs.update(sample)
    ours = Stats(samples)
    assert ours.p50 == pytest.approx(theirs.median * 1e3)
    assert ours.stdev == pytest.approx(theirs.stddev * 1e3)
    assert ours.mean == pytest.approx(theirs.mean * 1e3)


def test_single_sample_and_as_dict():
    stats = Stats([0.005])
    assert stats.stdev == 0.0
    assert stats.as_dict() == {name: getattr(stats, name) for name in LATENCY_FIELDS}
    assert set(stats.as_dict()) == {"p50", "p90", "p99", "p999", "min", "max", "mean", "stdev", "n"}


def test_empty_samples_rejected():
    with pytest.raises(ValueError):
        Stats([])


def test_every_percentile_has_its_interval_in_milliseconds():
    stats = Stats(np.arange(1, 101) * 1e-3)  # 1..100 ms
    assert set(stats.intervals()) == set(PERCENTILES)
    p50 = stats.interval("p50")
    assert (p50.estimate, p50.low, p50.high, p50.above) == (50.5, 40.0, 61.0, 50)
    p99 = stats.interval("p99")
    assert p99.estimate == pytest.approx(99.01) and p99.above == 1 and p99.high is None  # 100 samples cannot bound it


def test_intervals_ignore_the_order_samples_arrived_in():
    samples = np.random.default_rng(4).lognormal(size=500) * 1e-3
    assert Stats(samples).interval("p90") == Stats(samples[::-1]).interval("p90")

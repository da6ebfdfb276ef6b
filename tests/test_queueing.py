import math

import numpy as np
import pytest

from accel.errors import UsageError
from accel.measure.queueing import (
    check_stable,
    constant_service,
    exponential_service,
    measured_service,
    mm1_mean_s,
    mm1_quantile_s,
    pk_mean_s,
    predictions,
    simulate_fifo,
)


def test_mm1_closed_forms_of_the_seed_command():
    # --service-ms 20 --arrival-rps 30: mu = 50/s, lambda = 30/s, response ~ Exp(20/s).
    assert mm1_mean_s(30, 0.020) == pytest.approx(0.050)
    assert mm1_quantile_s(30, 0.020, 0.99) == pytest.approx(math.log(100) * 0.050)  # 230.26 ms
    assert mm1_quantile_s(30, 0.020, 0.5) == pytest.approx(math.log(2) * 0.050)


def test_pollaczek_khinchine_mean():
    # exponential service (E[S^2] = 2 E[S]^2) gives back the M/M/1 mean
    assert pk_mean_s(30, 0.020, 2 * 0.020**2) == pytest.approx(mm1_mean_s(30, 0.020))
    # M/D/1 by hand: 20 ms + 30 x 0.0004 / (2 x 0.4) = 20 + 15 ms
    assert pk_mean_s(30, 0.020, 0.020**2) == pytest.approx(0.035)


@pytest.mark.parametrize(("rate", "service"), [(50, 0.020), (60, 0.020), (0, 0.020), (10, 0.0)])
def test_unstable_or_empty_queues_are_refused(rate, service):
    with pytest.raises(UsageError):
        check_stable(rate, service)


def naive_fifo(gaps, service):
    """The textbook event-by-event recursion, for checking the vectorised Lindley solution."""
    wait, responses = 0.0, []
    for n in range(len(gaps)):
        if n > 0:
            wait = max(0.0, wait + service[n - 1] - gaps[n])
        responses.append(wait + service[n])
    return np.array(responses)


def test_vectorised_lindley_equals_the_recursion():
    customers = 2000
    rng = np.random.default_rng(7)
    gaps = rng.exponential(1 / 40, customers)
    service = rng.exponential(0.020, customers)
    expected = naive_fifo(gaps, service)[customers // 10 :]
    assert simulate_fifo(40, exponential_service(0.020), customers, seed=7) == pytest.approx(expected)


def test_simulated_mm1_converges_to_the_closed_form():
    responses = simulate_fifo(30, exponential_service(0.020), customers=400_000, seed=1)
    assert responses.mean() == pytest.approx(0.050, rel=0.03)
    assert np.percentile(responses, 99) == pytest.approx(mm1_quantile_s(30, 0.020, 0.99), rel=0.05)


def md1_wait_cdf(t, rate, service):
    """Exact M/D/1 waiting-time distribution (Erlang 1909): (1 - rho) sum_k [lambda (kD - t)]^k / k! e^{-lambda (kD - t)}."""
    rho = rate * service
    return (1 - rho) * sum(
        (rate * (k * service - t)) ** k / math.factorial(k) * math.exp(-rate * (k * service - t)) for k in range(int(t / service) + 1)
    )


def test_simulated_md1_matches_the_exact_waiting_time_distribution():
    responses = simulate_fifo(30, constant_service(0.020), customers=400_000, seed=2)
    assert responses.mean() == pytest.approx(pk_mean_s(30, 0.020, 0.020**2), rel=0.03)
    simulated_wait_p99 = np.percentile(responses, 99) - 0.020
    assert md1_wait_cdf(simulated_wait_p99, 30, 0.020) == pytest.approx(0.99, abs=0.002)


def test_predictions_from_service_samples():
    samples = np.full(100, 0.010)  # constant service: M/G/1 is M/D/1
    by_model = {prediction.model: prediction for prediction in predictions(50, samples, customers=100_000)}
    assert set(by_model) == {"M/M/1", "M/D/1", "M/G/1"}
    assert by_model["M/M/1"].p99_ms == pytest.approx(math.log(100) * 20)  # 1 / (100 - 50) = 20 ms
    assert by_model["M/D/1"].mean_ms == pytest.approx(15.0) == by_model["M/G/1"].mean_ms  # 10 + 50 x 1e-4 / (2 x 0.5)
    assert by_model["M/G/1"].p99_ms == pytest.approx(by_model["M/D/1"].p99_ms)
    assert by_model["M/D/1"].p99_ms < by_model["M/M/1"].p99_ms / 2  # why M/M/1 over-predicts inference


def test_measured_service_resamples_only_measured_values():
    draw = measured_service([0.001, 0.003])(np.random.default_rng(0), 1000)
    assert set(np.unique(draw)) == {0.001, 0.003}
    with pytest.raises(UsageError):
        measured_service([])

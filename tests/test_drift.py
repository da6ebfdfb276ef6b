import numpy as np
import pytest

from accel.quality.accuracy import Accuracy, accuracy, gate_accuracy
from accel.quality.drift import Drift, DriftGateError, DriftThreshold, gate, measure_drift


def test_drift_hand_computed():
    reference = np.array([[3.0, 2.0, 1.0, 0.0, -1.0, -2.0], [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    candidate = np.array([[2.0, 3.0, 1.0, 0.0, -1.0, -2.0], [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    drift = measure_drift(reference, candidate)
    assert drift.top1_agreement == 0.5
    assert drift.top5_overlap == pytest.approx((1.0 + 1.0) / 2)  # same top-5 sets, order differs
    cos_first = (6 + 6 + 1 + 0 + 1 + 4) / (np.sqrt(19) * np.sqrt(19))
    assert drift.cosine_min == pytest.approx(cos_first)
    assert drift.cosine_mean == pytest.approx((cos_first + 1.0) / 2)
    assert drift.max_abs == 1.0 and drift.worst_index == 0 and drift.n == 2


def test_top5_overlap_counts_shared_classes():
    reference = np.arange(10.0)[None, :]  # top-5: 9 8 7 6 5
    candidate = -np.arange(10.0)[None, :]  # top-5: 0 1 2 3 4
    assert measure_drift(reference, candidate).top5_overlap == 0.0


def test_gate_names_value_threshold_and_worst_input():
    drift = measure_drift(np.eye(4), np.eye(4) + 0.5 * np.roll(np.eye(4), 1, axis=1))
    with pytest.raises(DriftGateError) as info:
        gate(drift, DriftThreshold(cosine_min=0.99, source="unit"), "row-x", "photo.png (centre crop)")
    message = str(info.value)
    assert "row-x" in message and "cosine_min=0.89443 < 0.99" in message and "photo.png (centre crop)" in message


def test_identical_output_fails_as_fp32_ran_and_one_ulp_of_difference_passes():
    logits = np.random.default_rng(0).normal(size=(8, 10))
    threshold = DriftThreshold(cosine_min=0.9, source="unit")
    with pytest.raises(DriftGateError, match="FP32 model ran"):
        gate(measure_drift(logits, logits.copy()), threshold, "int8-row", "x")
    nudged = logits.copy()
    nudged[3, 4] = np.nextafter(nudged[3, 4], np.inf)
    gate(measure_drift(logits, nudged), threshold, "int8-row", "x")


# Bounds from drift_thresholds.toml; the values that sit exactly on them or one ULP on the failing side.
BOUNDS = {"top1_agreement": 0.995, "top5_overlap": 0.95, "cosine_mean": 0.999, "cosine_min": 0.9999, "max_abs": 0.05}
FAILING_SIDE = {"top1_agreement": -np.inf, "top5_overlap": -np.inf, "cosine_mean": -np.inf, "cosine_min": -np.inf, "max_abs": np.inf}


def drift_with(field: str, value: float) -> Drift:
    """A drift that passes every bound in BOUNDS except possibly `field`."""
    passing = {"top1_agreement": 1.0, "top5_overlap": 1.0, "cosine_mean": 1.0, "cosine_min": 1.0, "max_abs": 0.01}
    return Drift(**{**passing, field: value}, worst_index=0, n=100)


@pytest.mark.parametrize("field", sorted(BOUNDS))
def test_value_on_its_bound_passes_and_one_ulp_beyond_fails(field):
    threshold = DriftThreshold(**BOUNDS, source="unit")
    gate(drift_with(field, BOUNDS[field]), threshold, "on-bound", "x")
    beyond = float(np.nextafter(BOUNDS[field], FAILING_SIDE[field]))
    with pytest.raises(DriftGateError, match=f"{field}="):
        gate(drift_with(field, beyond), threshold, "beyond", "x")


def test_max_abs_gate_fires_with_value_and_bound():
    reference = np.zeros((2, 4))
    reference[:, 0] = 1.0
    candidate = reference.copy()
    candidate[1, 2] = 0.25  # cosine stays 0.97, top-1 unchanged: only max_abs is out
    drift = measure_drift(reference, candidate)
    with pytest.raises(DriftGateError, match=r"max_abs=0\.25 > 0\.1 ") as info:
        gate(drift, DriftThreshold(cosine_min=0.9, top1_agreement=1.0, max_abs=0.1, source="unit"), "fp16-row", "digit #1")
    assert "cosine_min=" not in str(info.value) and "top1_agreement=" not in str(info.value)


def test_passing_gate():
    logits = np.random.default_rng(0).normal(size=(8, 10))
    gate(measure_drift(logits, logits + 1e-3), DriftThreshold(cosine_min=0.999, top1_agreement=0.9, max_abs=0.01, source="u"), "r", "x")


def test_accuracy_and_mlperf_gate():
    logits = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5]])
    scored = accuracy(logits, np.array([1, 1, 2]))
    assert scored.top1 == pytest.approx(2 / 3) and scored.top5 == 1.0 and scored.n == 3
    gate_accuracy(Accuracy(0.99, 1, 100), Accuracy(1.0, 1, 100), "ok")
    with pytest.raises(DriftGateError, match="top-1 0.9800 < 0.99 x FP32 top-1 1.0000"):
        gate_accuracy(Accuracy(0.98, 1, 100), Accuracy(1.0, 1, 100), "bad")


def test_int8_top1_exactly_99_percent_of_fp32_passes_and_one_ulp_less_fails():
    reference = Accuracy(top1=0.5, top5=1.0, n=200)  # a power of two keeps 0.99 x top-1 exact in binary
    on_bound = 0.99 * reference.top1
    gate_accuracy(Accuracy(on_bound, 1.0, 200), reference, "on-bound")
    with pytest.raises(DriftGateError, match="top-1"):
        gate_accuracy(Accuracy(float(np.nextafter(on_bound, 0.0)), 1.0, 200), reference, "below")

import numpy as np
import pytest

from accel.quality.accuracy import Accuracy, accuracy, gate_accuracy
from accel.quality.drift import DriftGateError, DriftThreshold, gate, measure_drift


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


def test_identical_output_fails_as_fp32_ran():
    logits = np.random.default_rng(0).normal(size=(8, 10))
    with pytest.raises(DriftGateError, match="FP32 model ran"):
        gate(measure_drift(logits, logits.copy()), DriftThreshold(cosine_min=0.9, source="unit"), "int8-row", "x")


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

"""Drift and accuracy of one row's evaluation logits, and the gates that fail the row.

Arrays in, verdicts out: running a runner over the evaluation set is `accel.measure.evaluate`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from accel.quality.accuracy import Accuracy, accuracy, gate_accuracy
from accel.quality.drift import Drift, DriftGateError, DriftThreshold, gate, measure_drift

REFERENCE_PRECISION = "fp32"
# A tuned FP32 row (BN folded, NHWC, another algorithm) may differ from the reference by rounding
# only: the ONNX export's own bound on cosine, and the same top-1 on all but 1% of inputs.
TUNED_FP32_THRESHOLD = DriftThreshold(top1_agreement=0.99, cosine_min=0.9999, source="tuned fp32: rounding only (accel.quality.gates)")


@dataclass(frozen=True)
class Quality:
    drift: Drift | None
    accuracy: Accuracy | None
    worst_input: str

    def record(self) -> dict[str, object]:
        fields: dict[str, object] = {}
        if self.drift is not None:
            fields["drift"] = self.drift.as_dict()
        if self.accuracy is not None:
            fields["accuracy"] = self.accuracy.as_dict()
        return fields


def assess(
    logits: np.ndarray,
    labels: np.ndarray | None,
    reference: np.ndarray,
    precision: str,
    eval_names: Sequence[str],
    tuned: bool = False,
) -> Quality:
    """Drift against the FP32 reference (lower precisions, and tuned rows of any precision) and
    accuracy where labels exist; `eval_names[i]` names input i, so a failing gate can point at the worst one."""
    drift = measure_drift(reference, logits) if precision != REFERENCE_PRECISION or tuned else None
    scored = accuracy(logits, labels) if labels is not None else None
    worst = eval_names[drift.worst_index] if drift is not None else ""
    return Quality(drift, scored, worst)


def enforce(
    quality: Quality,
    threshold: DriftThreshold | None,
    reference_accuracy: Accuracy | None,
    precision: str,
    row: str,
    thresholds_file: str,
    tuned: bool = False,
) -> None:
    """Fail a row whose drift leaves its threshold, or whose INT8 top-1 drops below 99% of FP32.
    A tuned FP32 row is held to `TUNED_FP32_THRESHOLD` and may match the reference exactly."""
    if quality.drift is not None and precision == REFERENCE_PRECISION and tuned:
        gate(quality.drift, TUNED_FP32_THRESHOLD, row, quality.worst_input, require_change=False)
    elif quality.drift is not None:
        if threshold is None:
            raise DriftGateError(f"{row}: no drift threshold for this model, precision and weights in {thresholds_file}")
        gate(quality.drift, threshold, row, quality.worst_input)
    if precision == "int8" and quality.accuracy is not None and reference_accuracy is not None:
        gate_accuracy(quality.accuracy, reference_accuracy, row)

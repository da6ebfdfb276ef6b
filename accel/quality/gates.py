"""Drift and accuracy of one prepared runner, on its workload's evaluation set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accel.quality.accuracy import Accuracy, accuracy, gate_accuracy
from accel.quality.drift import Drift, DriftGateError, DriftThreshold, gate, measure_drift
from accel.backends.base import Runner
from accel.inputs.workloads import Workload

EVAL_BATCH = 16
REFERENCE_PRECISION = "fp32"


def run_in_batches(runner: Runner, inputs: np.ndarray, batch: int = EVAL_BATCH) -> np.ndarray:
    """Logits for every input, in chunks; a runner fixed to one batch size gets exactly that size
    (the last chunk padded by repeating inputs, the padding's outputs dropped)."""
    size = runner.combo.batch if runner.per_batch else batch
    outputs = []
    for start in range(0, len(inputs), size):
        chunk = inputs[start : start + size]
        padded = np.resize(chunk, (size, *chunk.shape[1:])) if runner.per_batch else chunk
        outputs.append(runner.run(padded)[: len(chunk)])
    return np.concatenate(outputs)


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


def assess(runner: Runner, workload: Workload, reference: np.ndarray, precision: str) -> Quality:
    """Drift against the FP32 torch reference (lower precisions only) and accuracy where labels exist."""
    logits = run_in_batches(runner, workload.eval_inputs)
    drift = measure_drift(reference, logits) if precision != REFERENCE_PRECISION else None
    labels = workload.eval_labels
    scored = accuracy(logits, labels) if labels is not None else None
    worst = workload.eval_name(drift.worst_index) if drift else ""
    return Quality(drift, scored, worst)


def enforce(
    quality: Quality,
    threshold: DriftThreshold | None,
    reference_accuracy: Accuracy | None,
    precision: str,
    row: str,
    thresholds_file: str,
) -> None:
    """Fail a row whose drift leaves its threshold, or whose INT8 top-1 drops below 99% of FP32."""
    if quality.drift is not None:
        if threshold is None:
            raise DriftGateError(f"{row}: no drift threshold for this model, precision and weights in {thresholds_file}")
        gate(quality.drift, threshold, row, quality.worst_input)
    if precision == "int8" and quality.accuracy is not None and reference_accuracy is not None:
        gate_accuracy(quality.accuracy, reference_accuracy, row)

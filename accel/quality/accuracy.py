"""Top-k accuracy against real labels and the INT8 accuracy gate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accel.quality.drift import DriftGateError, top_k_indices


@dataclass(frozen=True)
class Accuracy:
    top1: float
    top5: float
    n: int

    def as_dict(self) -> dict[str, float]:
        return {"top1": self.top1, "top5": self.top5, "n": self.n}


def accuracy(logits: np.ndarray, labels: np.ndarray) -> Accuracy:
    """Fraction of rows whose label is the top-1 / among the top-5 classes."""
    if len(logits) != len(labels) or len(labels) == 0:
        raise ValueError(f"need one label per row; got {len(logits)} rows and {len(labels)} labels")
    top5 = top_k_indices(logits, 5)
    return Accuracy(
        top1=float(np.mean(top5[:, 0] == labels)),
        top5=float(np.mean((top5 == labels[:, None]).any(axis=1))),
        n=len(labels),
    )


def gate_accuracy(candidate: Accuracy, reference: Accuracy, row: str, ratio: float = 0.99) -> None:
    """MLPerf's rule for quantized models: top-1 at least `ratio` x the FP32 top-1 (equal passes)."""
    if candidate.top1 < ratio * reference.top1:
        raise DriftGateError(
            f"{row}: top-1 {candidate.top1:.4f} < {ratio} x FP32 top-1 {reference.top1:.4f} (n={candidate.n})"
        )

"""Output drift of a lower-precision run against the FP32 reference, and the gates on it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from accel.errors import AccelError

# Agreement with the reference: higher is better, so thresholds on these are inclusive lower bounds.
AGREEMENT_FIELDS = ("top1_agreement", "top5_overlap", "cosine_mean", "cosine_min")


class DriftGateError(AccelError, AssertionError):
    """Drift outside its threshold: the precision broke the model (or did nothing at all)."""


@dataclass(frozen=True)
class Drift:
    """How far candidate logits are from the reference, over one evaluation set."""

    top1_agreement: float
    top5_overlap: float
    cosine_mean: float
    cosine_min: float
    max_abs: float
    worst_index: int  # the input with the lowest cosine
    n: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def top_k_indices(logits: np.ndarray, k: int) -> np.ndarray:
    k = min(k, logits.shape[-1])
    return np.argsort(-logits, axis=-1, kind="stable")[:, :k]


def measure_drift(reference: np.ndarray, candidate: np.ndarray) -> Drift:
    """Top-1 agreement, mean top-5 overlap (fraction of shared classes), cosine mean/min, max |diff|."""
    if reference.shape != candidate.shape:
        raise ValueError(f"shape mismatch: reference {reference.shape} vs candidate {candidate.shape}")
    ref = reference.astype(np.float64)
    cand = candidate.astype(np.float64)
    norms = np.linalg.norm(ref, axis=1) * np.linalg.norm(cand, axis=1)
    cosine = np.where(norms > 0, (ref * cand).sum(axis=1) / np.where(norms > 0, norms, 1.0), 0.0)
    top5_ref, top5_cand = top_k_indices(ref, 5), top_k_indices(cand, 5)
    overlap = [len(set(a) & set(b)) / top5_ref.shape[1] for a, b in zip(top5_ref, top5_cand)]
    return Drift(
        top1_agreement=float(np.mean(ref.argmax(axis=1) == cand.argmax(axis=1))),
        top5_overlap=float(np.mean(overlap)),
        cosine_mean=float(cosine.mean()),
        cosine_min=float(cosine.min()),
        max_abs=float(np.abs(ref - cand).max()),
        worst_index=int(cosine.argmin()),
        n=len(ref),
    )


@dataclass(frozen=True)
class DriftThreshold:
    """Inclusive lower bounds on agreement metrics and an inclusive upper bound on max |diff|
    (a value equal to its bound passes); None means not gated."""

    top1_agreement: float | None = None
    top5_overlap: float | None = None
    cosine_mean: float | None = None
    cosine_min: float | None = None
    max_abs: float | None = None
    source: str = ""


def gate(
    drift: Drift, threshold: DriftThreshold, row: str, worst_input: str, require_change: bool = True, against: str = "FP32"
) -> None:
    """Raise DriftGateError naming the measured value, the threshold and the worst input; with
    `require_change`, also when the output is identical to FP32 (a lower precision that did not run).
    `against` names the reference in the message (the PIL preprocessing, for a GPU preprocessing path)."""
    failures = []
    for name in AGREEMENT_FIELDS:
        bound = getattr(threshold, name)
        if bound is not None and getattr(drift, name) < bound:
            failures.append(f"{name}={getattr(drift, name):.5f} < {bound}")
    if threshold.max_abs is not None and drift.max_abs > threshold.max_abs:
        failures.append(f"max_abs={drift.max_abs:.5g} > {threshold.max_abs}")
    if failures:
        raise DriftGateError(
            f"{row}: drift against {against} outside threshold: {'; '.join(failures)} "
            f"(worst input: {worst_input}, cosine {drift.cosine_min:.5f}; threshold source: {threshold.source})"
        )
    if require_change and drift.max_abs == 0.0:
        raise DriftGateError(f"{row}: output identical to FP32 on all {drift.n} inputs: the FP32 model ran, not the lower precision")

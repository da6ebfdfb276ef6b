"""Top-k accuracy against real labels, and ImageNet-style validation folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accel.quality.drift import DriftGateError, top_k_indices
from accel.errors import UsageError
from accel.inputs.images import IMAGE_SUFFIXES

IMAGENET_CLASSES = 1000


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


def image_folder(root: str | Path, limit: int | None = None) -> tuple[list[Path], np.ndarray]:
    """An ImageFolder tree of ImageNet-1k: one folder per WordNet id; class index = sorted folder order
    (the standard torchvision/ImageNet index). Takes the first `limit` images in a class-balanced,
    deterministic interleaving."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise UsageError(f"--val-dir: folder {str(root)!r} does not exist")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if len(classes) != IMAGENET_CLASSES:
        raise UsageError(
            f"--val-dir: expected {IMAGENET_CLASSES} class folders (ImageNet-1k WordNet ids such as n01440764), found {len(classes)} in {str(root)!r}"
        )
    per_class = [
        sorted(p for p in (root / name).rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES) for name in classes
    ]
    paths, labels = [], []
    depth = max((len(files) for files in per_class), default=0)
    for position in range(depth):  # round-robin so a limit still covers many classes
        for label, files in enumerate(per_class):
            if position < len(files):
                paths.append(files[position])
                labels.append(label)
    if not paths:
        raise UsageError(f"--val-dir: no images under {str(root)!r}")
    if limit is not None:
        paths, labels = paths[:limit], labels[:limit]
    return paths, np.asarray(labels, dtype=np.int64)

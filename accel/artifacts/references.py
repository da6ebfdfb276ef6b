"""FP32 torch outputs on the evaluation set: the reference every drift and accuracy is measured against."""

from __future__ import annotations

import numpy as np
import torch

from accel.artifacts.weights import TorchWeights
from accel.artifacts.workset import Workset
from accel.matrix import native_input_size
from accel.quality.accuracy import Accuracy, accuracy


class References:
    """Reference logits per (model, input size), computed once per session."""

    def __init__(self, weights: TorchWeights, workset: Workset) -> None:
        self.weights = weights
        self.workset = workset
        self._logits: dict[tuple[str, int], np.ndarray] = {}

    def logits(self, model: str, input_size: int | None = None) -> np.ndarray:
        size = input_size or native_input_size(model)
        if (model, size) not in self._logits:
            net = self.weights.torch_model(model)
            with torch.inference_mode():
                self._logits[(model, size)] = net(torch.from_numpy(self.workset.workload(model, size).eval_inputs)).numpy()
        return self._logits[(model, size)]

    def accuracy(self, model: str, input_size: int | None = None) -> Accuracy | None:
        """Top-1/top-5 where the evaluation set has labels."""
        labels = self.workset.workload(model, input_size).eval_labels
        return accuracy(self.logits(model, input_size), labels) if labels is not None else None

"""PyTorch eager runner (torch.inference_mode)."""

from __future__ import annotations

import numpy as np
import torch

from accel.matrix import Combination
from accel.runners.base import Runner


class TorchEagerRunner(Runner):
    """Runs the fp32 torch module as-is on the requested device."""

    backend = "torch"

    def __init__(self, combo: Combination, module: torch.nn.Module) -> None:
        super().__init__(combo)
        self.device = torch.device(combo.device)
        self.module = module.to(self.device).eval()

    def upload(self, batch: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(batch)).to(self.device)

    def infer(self, inputs: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            outputs = self.module(inputs)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return outputs

    def download(self, outputs: torch.Tensor) -> np.ndarray:
        return outputs.float().cpu().numpy()

    def describe(self) -> dict[str, object]:
        return {"engine": "eager", "torch_threads": torch.get_num_threads()}

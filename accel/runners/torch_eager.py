"""PyTorch eager runner (torch.inference_mode); lower precisions cast the module and its inputs."""

from __future__ import annotations

import numpy as np
import torch

from accel.matrix import Combination
from accel.runners.base import Runner

TORCH_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


class TorchEagerRunner(Runner):
    """Runs the torch module, cast to the row's precision, on the requested device."""

    backend = "torch"

    def __init__(self, combo: Combination, module: torch.nn.Module) -> None:
        super().__init__(combo)
        self.device = torch.device(combo.device)
        self.dtype = TORCH_DTYPES[combo.precision]
        self.module = module.to(device=self.device, dtype=self.dtype).eval()

    def upload(self, batch: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(batch)).to(device=self.device, dtype=self.dtype)

    def infer(self, inputs: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            outputs = self.module(inputs)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return outputs

    def download(self, outputs: torch.Tensor) -> np.ndarray:
        return outputs.float().cpu().numpy()

    def describe(self) -> dict[str, object]:
        return {"engine": "eager", "dtype": str(self.dtype).removeprefix("torch."), "torch_threads": torch.get_num_threads()}

"""torch.compile (inductor) runners: the PyTorch user's own optimizing path.

Weights are frozen into the graph (inductor `freezing`), shapes are static (one compile per
batch size), and compilation happens in `upload` — outside every timed region — with its duration
reported. `reduce-overhead` mode adds CUDA graphs. max-autotune is opt-in only: it took over ten
minutes for three models on the H100 machine.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from accel.matrix import Combination
from accel.backends.torch.eager import TorchEagerRunner

COMPILE_MODES = {"torch-compile": "default", "torch-compile-cudagraph": "reduce-overhead"}


class TorchCompileRunner(TorchEagerRunner):
    """Eager module compiled by inductor; outputs cloned on download (cudagraph trees reuse buffers)."""

    backend = "torch-compile"

    def __init__(self, combo: Combination, module: torch.nn.Module, channels_last: bool = False, autotune: bool = False) -> None:
        super().__init__(combo, module, channels_last)
        self.mode = "max-autotune" if autotune else COMPILE_MODES[combo.backend]
        self.forward = torch.compile(self.module, mode=self.mode, dynamic=False, fullgraph=False)
        self.compile_seconds: dict[int, float] = {}

    def _stream(self) -> torch.cuda.Stream | None:
        # Inductor's CUDA-graph trees expect the current (default) stream; a side stream made
        # reduce-overhead slower than default mode in our first H100 run.
        return torch.cuda.current_stream() if self.combo.device == "cuda" else None

    def upload(self, batch: np.ndarray) -> torch.Tensor:
        inputs = super().upload(batch)
        size = int(inputs.shape[0])
        if size not in self.compile_seconds:
            import torch._inductor.config as inductor_config

            started = time.perf_counter()
            with inductor_config.patch(freezing=True):
                for _ in range(3):  # compile, then let cudagraph trees record and settle
                    self.enqueue(inputs)
                    self.synchronize()
            self.compile_seconds[size] = round(time.perf_counter() - started, 2)
        return inputs

    def download(self, outputs: torch.Tensor) -> np.ndarray:
        return super().download(outputs.clone())

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "engine": f"inductor({self.mode}, frozen weights)",
            "compile_s_by_batch": dict(self.compile_seconds),
        }

"""torch.compile (inductor) runners: the PyTorch user's own optimizing path.

Weights are frozen into the graph (inductor `freezing`), shapes are static (one compile per
batch size), and compilation happens in `prepare` — outside every timed region — with its duration
reported. `reduce-overhead` mode adds CUDA graphs. max-autotune is opt-in only: it took over ten
minutes for three models on the H100 machine.

Every compiled module shares one dynamo cache (its entries hang on one wrapper function), and past
`recompile_limit` entries dynamo silently runs eager: the H200 run's digits_mlp rows were eager for
that reason. So the cache is cleared when the last open compiled runner closes (the reset is
process-wide: runners open side by side, as tuning's variants are, keep theirs), and `prepare`
fails when it compiled nothing.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from accel.matrix import Combination
from accel.backends.torch.eager import TorchEagerRunner


class TorchCompileRunner(TorchEagerRunner):
    """Eager module compiled by inductor; outputs cloned on download (cudagraph trees reuse buffers)."""

    open_runners = 0  # compiled runners not yet closed, in this process

    def __init__(self, combo: Combination, module: torch.nn.Module, channels_last: bool, mode: str) -> None:
        super().__init__(combo, module, channels_last)
        self.mode = mode
        self.forward = torch.compile(self.module, mode=self.mode, dynamic=False, fullgraph=False)
        self.compile_seconds: dict[int, float] = {}
        self.closed = False
        TorchCompileRunner.open_runners += 1

    def _stream(self) -> torch.cuda.Stream | None:
        # Inductor's CUDA-graph trees expect the current (default) stream; a side stream made
        # reduce-overhead slower than default mode in our first H100 run.
        return torch.cuda.current_stream() if self.combo.device == "cuda" else None

    def prepare(self, batch: np.ndarray) -> None:
        """Compile for this batch size (static shapes: once per size), timed for the notes."""
        size = int(batch.shape[0])
        if size in self.compile_seconds:
            return
        import torch._inductor.config as inductor_config
        from torch._dynamo.utils import counters

        inputs = super().upload(batch)
        graphs_before = counters["stats"]["unique_graphs"]
        started = time.perf_counter()
        with inductor_config.patch(freezing=True):
            for _ in range(3):  # compile, then let cudagraph trees record and settle
                self.enqueue(inputs)
                self.synchronize()
        if counters["stats"]["unique_graphs"] == graphs_before:
            raise RuntimeError(
                f"{self.combo.test_id}: torch.compile made no graph for batch size {size}: dynamo fell back to eager "
                "(its warnings above say why, e.g. torch._dynamo.config.recompile_limit)"
            )
        self.compile_seconds[size] = round(time.perf_counter() - started, 2)

    def upload(self, batch: np.ndarray) -> torch.Tensor:
        if int(batch.shape[0]) not in self.compile_seconds:
            raise RuntimeError(f"{self.combo.test_id}: prepare() must compile batch size {batch.shape[0]} before upload")
        return super().upload(batch)

    def download(self, outputs: torch.Tensor) -> np.ndarray:
        return super().download(outputs.clone())

    def close(self) -> None:
        super().close()
        if self.closed:
            return
        self.closed = True
        TorchCompileRunner.open_runners -= 1
        if TorchCompileRunner.open_runners == 0:
            torch._dynamo.reset()  # no compiled runner left: the next one starts with an empty cache

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "engine": f"inductor({self.mode}, frozen weights)",
            "compile_s_by_batch": dict(self.compile_seconds),
        }

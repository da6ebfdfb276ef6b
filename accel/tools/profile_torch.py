"""Where the GPU time of one torch inference goes: top CUDA kernels from torch.profiler."""

from __future__ import annotations

import torch

from accel.artifacts.store import ArtifactStore
from accel.matrix import Combination
from accel.backends.torch.eager import TorchCudaGraphRunner, TorchEagerRunner


def kernel_table(store: ArtifactStore, model: str, precision: str, batch: int, cuda_graph: bool, rows: int = 15) -> str:
    """torch.profiler's table of CUDA kernels (self device time) over 20 inferences."""
    combo = Combination(model, "torch-cudagraph" if cuda_graph else "torch", precision, "cuda", batch)
    cls = TorchCudaGraphRunner if cuda_graph else TorchEagerRunner
    runner = cls(combo, store.torch_model(model), channels_last=precision in ("fp16", "bf16"))
    inputs = runner.upload(store.workload(model).batch_of(batch))
    for _ in range(10):
        runner.infer(inputs)
    activities = [torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA]
    with torch.profiler.profile(activities=activities) as profiler:
        for _ in range(20):
            runner.infer(inputs)
    return profiler.key_averages().table(sort_by="self_cuda_time_total", row_limit=rows)

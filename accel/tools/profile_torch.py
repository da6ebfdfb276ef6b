"""Where the time of one torch inference goes: torch.profiler's operator table on the CPU (top ops
by self CPU time) or on CUDA (top kernels by self device time)."""

from __future__ import annotations

import torch

from accel.artifacts.store import ArtifactStore
from accel.backends.registry import create_runner, cuda_available, skip_reason
from accel.errors import UsageError, invalid_choice
from accel.matrix import BACKENDS, MODELS, Combination, native_input_size

DEVICES = ("cpu", "cuda")
WARMUP = 10
PROFILED = 20
SORT_BY = {"cpu": "self_cpu_time_total", "cuda": "self_cuda_time_total"}


def resolve_device(device: str | None) -> str:
    """`--device` checked against what this machine has; None picks cuda when torch sees a GPU, else cpu."""
    if device is None:
        return "cuda" if cuda_available() else "cpu"
    if device not in DEVICES:
        raise invalid_choice("--device", device, DEVICES)
    if device == "cuda" and not cuda_available():
        raise UsageError("`--device cuda`: torch sees no CUDA device here (torch.cuda.is_available() is False); use --device cpu")
    return device


def profiled_combination(model: str, precision: str | None, batch: int, device: str, cuda_graph: bool) -> Combination:
    """The suite's row to profile; precision defaults to fp16 on CUDA and fp32 on the CPU."""
    if model not in MODELS:
        raise invalid_choice("--model", model, MODELS)
    if cuda_graph and device != "cuda":
        raise UsageError(f"`--cuda-graph` needs --device cuda; got --device {device}")
    if batch < 1:
        raise UsageError(f"`--batch` must be >= 1; got {batch}")
    backend = "torch-cudagraph" if cuda_graph else "torch"
    precision = precision or ("fp16" if device == "cuda" else "fp32")
    valid = BACKENDS[backend].precisions_by_device.get(device, ())
    if precision not in valid:
        raise invalid_choice(f"--precision (torch on {device})", precision, valid)
    combo = Combination(model, backend, precision, device, batch, native_input_size(model))
    reason = skip_reason(combo)
    if reason:
        raise UsageError(f"{combo.test_id} cannot run here: {reason}")
    return combo


def operator_table(store: ArtifactStore, combo: Combination, rows: int = 15) -> str:
    """torch.profiler's table over 20 inferences after 10 unprofiled ones, sorted by self time on
    the row's device (CPU ops such as aten::conv2d on the CPU, kernels on CUDA)."""
    runner = create_runner(combo, store)
    try:
        batch = store.workload(combo.model, combo.input_size).batch_of(combo.batch)
        runner.prepare(batch)
        inputs = runner.upload(batch)
        for _ in range(WARMUP):
            runner.infer(inputs)
        activities = [torch.profiler.ProfilerActivity.CPU]
        if combo.device == "cuda":
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        with torch.profiler.profile(activities=activities) as profiler:
            for _ in range(PROFILED):
                runner.infer(inputs)
        return profiler.key_averages().table(sort_by=SORT_BY[combo.device], row_limit=rows)
    finally:
        runner.close()

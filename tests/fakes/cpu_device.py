"""A `Device` (accel.backends.tensorrt.device) on the fake TensorRT's simulated CUDA: tensors in
`fake_cuda` memory, one `fake_cuda` stream, copies ordered on that stream like CUDA copies."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np
import torch


class CpuDevice:
    """Needs the fake `tensorrt` importable (the `fake_trt` fixture)."""

    stream = None  # no torch CUDA stream: rows timed on it fall back to wall-clock timers

    def __init__(self) -> None:
        self.cuda = importlib.import_module("tensorrt").fake_cuda
        self.stream_handle = self.cuda.create_stream()
        self.allocations: list[torch.Tensor] = []
        self.captures = 0

    def empty(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        tensor = self.cuda.malloc(tuple(shape), dtype)
        self.allocations.append(tensor)
        return tensor

    def to_device(self, batch: np.ndarray, out: torch.Tensor) -> torch.Tensor:
        source = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        self.cuda.enqueue(self.stream_handle, lambda: out.copy_(source))
        self.synchronize()
        return out

    def copy_on_device(self, batch: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        self.cuda.enqueue(self.stream_handle, lambda: out.copy_(batch))
        self.synchronize()
        return out

    def to_host(self, tensor: torch.Tensor) -> np.ndarray:
        result: list[np.ndarray] = []
        self.cuda.enqueue(self.stream_handle, lambda: result.append(tensor.float().numpy().copy()))
        self.synchronize()
        return result[0]

    def synchronize(self) -> None:
        self.cuda.synchronize(self.stream_handle)

    def capture(self, work: Callable[[], None]) -> Callable[[], None]:
        self.cuda.begin_capture(self.stream_handle)
        try:
            work()
        finally:
            graph = self.cuda.end_capture(self.stream_handle)
        self.captures += 1
        return lambda: graph.launch(self.stream_handle)

    def release(self) -> None:
        self.synchronize()
        for tensor in self.allocations:
            self.cuda.free(tensor)
        self.allocations.clear()

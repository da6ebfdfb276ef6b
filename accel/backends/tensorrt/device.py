"""Where TensorRT's tensors live and its work is enqueued: CUDA through torch (no pycuda).

The runner and the INT8 calibrator allocate, copy, synchronize and capture only through a
`Device`, so everything above those CUDA calls also runs in tests on a CPU stand-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import torch

from accel.backends.cuda_io import CudaTransfers


class Device(Protocol):
    """Device memory, one stream, host copies on that stream, and graph capture."""

    @property
    def stream(self) -> Any:
        """The torch stream work is enqueued on (CUDA-event timers record on it), or None."""

    @property
    def stream_handle(self) -> int:
        """The raw stream handle TensorRT's `execute_async_v3` takes."""

    def empty(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """Uninitialised device memory; `data_ptr()` is the address TensorRT reads or writes."""

    def to_device(self, batch: np.ndarray, out: torch.Tensor) -> torch.Tensor:
        """Copy a host batch into `out` (cast to its dtype) and wait for the copy."""

    def copy_on_device(self, batch: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Copy a batch already in device memory into `out` (cast to its dtype) and wait for the copy."""

    def to_host(self, tensor: torch.Tensor) -> np.ndarray:
        """Copy device memory to host float32 after the work enqueued before it, and wait."""

    def synchronize(self) -> None:
        """Wait for everything enqueued on the stream."""

    def capture(self, work: Callable[[], None]) -> Callable[[], None]:
        """Record what `work` enqueues into a graph; return what replays it on the stream."""

    def release(self) -> None:
        """Wait for the stream and give cached device memory back."""


class CudaDevice:
    """CUDA device `index`, a dedicated non-default stream (TensorRT syncs more on the default one)
    and pinned staging buffers (`CudaTransfers`)."""

    def __init__(self, index: int = 0) -> None:
        self.device = torch.device("cuda", index)
        self.transfers = CudaTransfers(self.device)

    @property
    def stream(self) -> torch.cuda.Stream:
        return self.transfers.stream

    @property
    def stream_handle(self) -> int:
        return int(self.transfers.stream.cuda_stream)

    def empty(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        return torch.empty(shape, dtype=dtype, device=self.device)

    def to_device(self, batch: np.ndarray, out: torch.Tensor) -> torch.Tensor:
        return self.transfers.to_device(batch, out=out)

    def copy_on_device(self, batch: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return self.transfers.copy_on_device(batch, out)

    def to_host(self, tensor: torch.Tensor) -> np.ndarray:
        return self.transfers.to_host(tensor)

    def synchronize(self) -> None:
        self.transfers.stream.synchronize()

    def capture(self, work: Callable[[], None]) -> Callable[[], None]:
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=self.transfers.stream):
            work()
        self.synchronize()

        def replay() -> None:
            with torch.cuda.stream(self.transfers.stream):
                graph.replay()

        return replay

    def release(self) -> None:
        torch.cuda.synchronize(self.device)
        torch.cuda.empty_cache()

"""Host<->device transfers for CUDA runners: a dedicated stream and reusable pinned staging buffers.

Pinned (page-locked) host memory lets copies run at full PCIe bandwidth; buffers are kept per
shape so no allocation happens inside timed regions. Copies are issued on the runner's stream and
waited for before returning, so H2D and D2H are timed on their own and do not overlap compute.
"""

from __future__ import annotations

import numpy as np
import torch


class CudaTransfers:
    """Pinned staging plus H2D / D2H on one stream."""

    def __init__(self, device: torch.device, stream: torch.cuda.Stream | None = None) -> None:
        self.device = device
        self.stream = stream if stream is not None else torch.cuda.Stream(device=device)
        self._pinned: dict[tuple, torch.Tensor] = {}

    def _staging(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        key = (shape, dtype)
        if key not in self._pinned:
            self._pinned[key] = torch.empty(shape, dtype=dtype, pin_memory=True)
        return self._pinned[key]

    def to_device(self, batch: np.ndarray, dtype: torch.dtype = torch.float32, out: torch.Tensor | None = None) -> torch.Tensor:
        """Copy a host batch into device memory (into `out` when given) and wait for it."""
        staging = self._staging(tuple(batch.shape), torch.float32)
        staging.copy_(torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)))
        with torch.cuda.stream(self.stream):
            device_tensor = staging.to(self.device, non_blocking=True)
            if dtype != torch.float32:
                device_tensor = device_tensor.to(dtype)
            if out is not None:
                out.copy_(device_tensor, non_blocking=True)
                device_tensor = out
        self.stream.synchronize()
        return device_tensor

    def copy_on_device(self, batch: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Copy a batch already on the device into `out` (a bound or captured input; cast to its
        dtype and layout) on this stream, and wait for it."""
        with torch.cuda.stream(self.stream):
            out.copy_(batch, non_blocking=True)
        self.stream.synchronize()
        return out

    def to_host(self, tensor: torch.Tensor) -> np.ndarray:
        """Copy device logits to host float32 and wait for it."""
        with torch.cuda.stream(self.stream):
            source = tensor.float() if tensor.dtype != torch.float32 else tensor
            staging = self._staging(tuple(source.shape), torch.float32)
            staging.copy_(source, non_blocking=True)
        self.stream.synchronize()
        return staging.numpy().copy()

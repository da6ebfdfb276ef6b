"""The fake's CUDA (not TensorRT API): device memory is host memory allocated here, 256-byte
aligned as TensorRT requires of tensor addresses; a stream queues work until it is synchronized;
a stream being captured records its work into a graph instead of running it.

TensorRT only ever sees integer addresses and stream handles, as with real CUDA, and reads or
writes the bytes at those addresses when the stream runs the work."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

ALIGNMENT = 256
Work = Callable[[], None]


class IllegalAddress(RuntimeError):
    """Memory at an address that no allocation covers (CUDA: an illegal memory access)."""


class CudaError(RuntimeError):
    """A stream operation CUDA does not permit (such as synchronizing a capturing stream)."""


_allocations: dict[int, tuple[int, torch.Tensor]] = {}  # address -> (bytes, backing buffer)


def malloc(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """A tensor in fake device memory (its `data_ptr()` is the device address)."""
    nbytes = math.prod(shape) * torch.empty(0, dtype=dtype).element_size()
    backing = torch.empty(nbytes + ALIGNMENT, dtype=torch.uint8)
    offset = -backing.data_ptr() % ALIGNMENT
    tensor = backing[offset : offset + nbytes].view(dtype).view(shape)
    _allocations[tensor.data_ptr()] = (nbytes, backing)
    return tensor


def free(tensor: torch.Tensor) -> None:
    _allocations.pop(tensor.data_ptr(), None)


def _bytes(address: int, nbytes: int) -> np.ndarray:
    for start, (size, backing) in _allocations.items():
        if start <= address and address + nbytes <= start + size:
            offset = address - backing.data_ptr()
            return backing.numpy()[offset : offset + nbytes]
    raise IllegalAddress(f"{nbytes} bytes at {address:#x} are not inside any device allocation")


def check(address: int, nbytes: int) -> None:
    """Raise IllegalAddress unless `nbytes` at `address` are allocated."""
    _bytes(address, nbytes)


def read(address: int, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A copy of the array of `shape` and `dtype` stored at `address`."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    return _bytes(address, nbytes).view(dtype).reshape(shape).copy()


def write(address: int, array: np.ndarray) -> None:
    data = np.ascontiguousarray(array)
    _bytes(address, data.nbytes)[:] = data.reshape(-1).view(np.uint8)


class Graph:
    """Captured work; each launch enqueues all of it again on a stream."""

    def __init__(self, work: list[Work]) -> None:
        self.work = work

    def launch(self, handle: int) -> None:
        for item in self.work:
            enqueue(handle, item)


class _Stream:
    def __init__(self) -> None:
        self.pending: list[Work] = []
        self.captured: list[Work] | None = None


_streams: dict[int, _Stream] = {0: _Stream()}  # 0: the legacy default stream


def _stream(handle: int) -> _Stream:
    if handle not in _streams:
        raise CudaError(f"invalid stream handle {handle}")
    return _streams[handle]


def create_stream() -> int:
    handle = max(_streams) + 1
    _streams[handle] = _Stream()
    return handle


def enqueue(handle: int, work: Work) -> None:
    stream = _stream(handle)
    (stream.captured if stream.captured is not None else stream.pending).append(work)


def synchronize(handle: int) -> None:
    """Run everything queued on the stream, in order."""
    stream = _stream(handle)
    if stream.captured is not None:
        raise CudaError("operation not permitted when stream is capturing")
    while stream.pending:
        stream.pending.pop(0)()


def begin_capture(handle: int) -> None:
    _stream(handle).captured = []


def end_capture(handle: int) -> Graph:
    stream = _stream(handle)
    if stream.captured is None:
        raise CudaError("stream is not capturing")
    graph, stream.captured = Graph(stream.captured), None
    return graph


def reset() -> None:
    """Forget every allocation and stream (between tests)."""
    _allocations.clear()
    _streams.clear()
    _streams[0] = _Stream()

"""TensorRT runner: a cached engine executed with execute_async_v3 on a non-default torch stream,
torch CUDA tensors as I/O (no pycuda), optionally replayed through a captured CUDA graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from accel.matrix import Combination
from accel.backends.base import Runner
from accel.backends.cuda_io import CudaTransfers
from accel.backends.tensorrt.engine import load_tensorrt


class TensorRTRunner(Runner):
    """One engine per batch size (fixed-shape profile: TensorRT picks tactics for that shape)."""

    backend = "tensorrt"
    per_batch = True

    def __init__(self, combo: Combination, engine_path: Path, notes: dict[str, object], cuda_graph: bool = False) -> None:
        super().__init__(combo)
        trt, self.flavor = load_tensorrt()
        self.device = torch.device("cuda", 0)
        self.transfers = CudaTransfers(self.device)
        self.engine = trt.Runtime(trt.Logger(trt.Logger.WARNING)).deserialize_cuda_engine(engine_path.read_bytes())
        if self.engine is None:
            raise RuntimeError(f"TensorRT could not deserialize {engine_path}")
        self.context = self.engine.create_execution_context()
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.input_name = next(n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT)
        self.output_name = next(n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT)
        shape = tuple(self.engine.get_tensor_shape(self.input_name))
        self.static_input = torch.empty(shape, dtype=torch.float32, device=self.device)
        self.context.set_input_shape(self.input_name, shape)
        self.output = torch.empty(tuple(self.context.get_tensor_shape(self.output_name)), dtype=torch.float32, device=self.device)
        self.context.set_tensor_address(self.input_name, self.static_input.data_ptr())
        self.context.set_tensor_address(self.output_name, self.output.data_ptr())
        self.notes = notes
        self.graph: torch.cuda.CUDAGraph | None = None
        if cuda_graph:
            self._capture()

    def _capture(self) -> None:
        self._execute()  # one run first: TensorRT finishes lazy setup outside the capture
        self.transfers.stream.synchronize()
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph, stream=self.transfers.stream):
            self._execute()
        self.transfers.stream.synchronize()

    def _execute(self) -> None:
        if not self.context.execute_async_v3(self.transfers.stream.cuda_stream):
            raise RuntimeError("TensorRT execute_async_v3 failed")

    @property
    def stream(self) -> torch.cuda.Stream:
        return self.transfers.stream

    def upload(self, batch: np.ndarray) -> torch.Tensor:
        if tuple(batch.shape) != tuple(self.static_input.shape):
            raise ValueError(f"engine built for input {tuple(self.static_input.shape)}; got {batch.shape}")
        return self.transfers.to_device(batch, out=self.static_input)

    def enqueue(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.graph is not None:
            with torch.cuda.stream(self.transfers.stream):
                self.graph.replay()
        else:
            self._execute()
        return self.output

    def synchronize(self) -> None:
        self.transfers.stream.synchronize()

    def download(self, outputs: torch.Tensor) -> np.ndarray:
        return self.transfers.to_host(outputs)

    def describe(self) -> dict[str, object]:
        return {**self.notes, "engine": "cuda-graph" if self.graph is not None else "execute_async_v3", "trt_flavor": self.flavor}


class TensorRTCudaGraphRunner(TensorRTRunner):
    backend = "tensorrt-cudagraph"

    def __init__(self, combo: Combination, engine_path: Path, notes: dict[str, object]) -> None:
        super().__init__(combo, engine_path, notes, cuda_graph=True)
